// The recording `samlflow record` writes and `samlflow replay` reads (JSON, format
// "samlflow-record/1"): every HTTP exchange as sent and received, the SAML messages decoded,
// what the SP expected of the Response, and the replay cache of accepted IDs.
//
// The password: in the login POST the password field's value is stored as "***", so that
// one exchange is not byte-exact; replay never re-sends it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "idp/cli/samlflow/browser.h"
#include "idp/core/result.h"

namespace propusk::cli::samlflow {

inline constexpr char kRecordFormat[] = "samlflow-record/1";

struct FlowRecord {
  std::string created;  // xs:dateTime
  std::string idpEntityId;
  std::string idpMetadataSource;
  std::vector<std::string> idpCertificates;  // base64 DER, the keys the Response was checked with
  std::string spEntityId;
  std::string acsUrl;
  std::string user;
  std::string requestId;
  std::string requestXml;
  std::string binding;  // redirect, post
  std::optional<std::string> relayState;
  bool requestSigned = false;
  std::optional<std::string> responseXml;
  std::optional<std::string> returnedRelayState;
  std::string result;   // loginResultName
  int exitCode = 1;
  std::string detail;
  std::optional<std::string> failedCheck;
  long clockSkewSeconds = 60;
  bool allowSha1 = false;
  std::vector<std::string> acceptedIds;  // the replay cache: Response and Assertion IDs accepted
  std::vector<Exchange> exchanges;
};

std::string writeFlowRecord(const FlowRecord& record);
Result<FlowRecord> readFlowRecord(std::string_view json);

// Does this request carry a SAML message (SAMLRequest/SAMLResponse in the query or form body)?
bool carriesSamlMessage(const web::HttpRequestData& request);

}  // namespace propusk::cli::samlflow
