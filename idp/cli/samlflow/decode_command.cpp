// decode: any SAML message back to readable XML.
#include <unistd.h>

#include "idp/cli/samlflow/env.h"
#include "idp/cli/samlflow/message_decoder.h"

namespace propusk::cli::samlflow {

int cmdDecode(Env& env, const ParsedArgs& args) {
  std::string input;
  std::string arg = args.positional.empty() ? "-" : args.positional[0];
  // A file name, "-" for stdin, or the message itself (a URL, query, base64 or XML).
  if (arg == "-") input = readInput(env, "-", "input");
  else if (arg.find_first_of("=<?") == std::string::npos && arg.find("://") == std::string::npos && arg.size() < 4096 &&
           access(arg.c_str(), R_OK) == 0)
    input = readInput(env, arg, "input");
  else input = arg;
  auto m = decodeMessage(input, args.get("field"));
  if (!m) throw CliError("input: " + m.error().detail);
  auto pretty = prettyXml(m->xml);
  if (!pretty) throw CliError("xml: " + pretty.error().detail);
  if (env.json) {
    auto o = jsonObject();
    if (!m->field.empty()) o->set("field", m->field);
    o->set("encoding", m->encoding);
    if (m->relayState) o->set("relay_state", *m->relayState);
    if (m->sigAlg) o->set("sig_alg", *m->sigAlg);
    o->set("query_signature", m->hasQuerySignature);
    o->set("xml", m->xml);
    env.printJson(o);
    return kExitOk;
  }
  // The XML alone on stdout (to pipe into other tools); what framed it on stderr.
  env.io.err << "samlflow: " << (m->field.empty() ? "message" : m->field) << " (" << m->encoding << ")";
  if (m->relayState) env.io.err << ", RelayState " << *m->relayState;
  if (m->sigAlg) env.io.err << ", SigAlg " << *m->sigAlg << (m->hasQuerySignature ? " with Signature" : "");
  env.io.err << "\n";
  env.io.out << *pretty;
  return kExitOk;
}

}  // namespace propusk::cli::samlflow
