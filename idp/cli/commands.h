// propuskctl command handlers; each returns the process exit code or throws
// CliError / UsageError. The table that maps words to them is in propuskctl.cpp.
#pragma once

#include "idp/cli/args.h"
#include "idp/cli/context.h"

namespace propusk::cli {

int cmdInit(Context&, const ParsedArgs&);
int cmdKeysList(Context&, const ParsedArgs&);
int cmdKeysGenerate(Context&, const ParsedArgs&);
int cmdKeysRotate(Context&, const ParsedArgs&);
int cmdKeysRetire(Context&, const ParsedArgs&);
int cmdSpAdd(Context&, const ParsedArgs&);
int cmdSpList(Context&, const ParsedArgs&);
int cmdSpShow(Context&, const ParsedArgs&);
int cmdSpRemove(Context&, const ParsedArgs&);
int cmdSpSet(Context&, const ParsedArgs&);
int cmdUpstreamAdd(Context&, const ParsedArgs&);
int cmdUpstreamList(Context&, const ParsedArgs&);
int cmdUpstreamShow(Context&, const ParsedArgs&);
int cmdUpstreamSet(Context&, const ParsedArgs&);
int cmdUpstreamRemove(Context&, const ParsedArgs&);
int cmdUserAdd(Context&, const ParsedArgs&);
int cmdUserShow(Context&, const ParsedArgs&);
int cmdUserList(Context&, const ParsedArgs&);
int cmdUserSetStatus(Context&, const ParsedArgs&);
int cmdUserLock(Context&, const ParsedArgs&);
int cmdUserUnlock(Context&, const ParsedArgs&);
int cmdUserPasswd(Context&, const ParsedArgs&);
int cmdUserRemove(Context&, const ParsedArgs&);
int cmdUserTotp(Context&, const ParsedArgs&);
int cmdSessionList(Context&, const ParsedArgs&);
int cmdSessionKill(Context&, const ParsedArgs&);
int cmdAuditList(Context&, const ParsedArgs&);
int cmdAuditVerify(Context&, const ParsedArgs&);

}  // namespace propusk::cli
