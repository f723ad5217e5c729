#include "idp/saml/validation/logout_steps.h"

namespace propusk::saml {

// core §3.7.1: the principal is named by a BaseID, NameID or EncryptedID. This IdP issues
// plain NameIDs only, so a session participant has no reason to send anything else; the
// refusal still reaches the SP as a LogoutResponse (Responder, RequestUnsupported).
Status checkNameId(const LogoutRequest& req, RequestContext&) {
  switch (req.identifier) {
    case LogoutIdentifier::NameID:
      if (!req.nameId || req.nameId->value.empty()) return requestDenied("LogoutRequest has an empty NameID");
      return {};
    case LogoutIdentifier::EncryptedID:
      return fail(StatusCode::Responder, status::kRequestUnsupported,
                  "LogoutRequest names the principal by EncryptedID; only a plain NameID is supported");
    case LogoutIdentifier::BaseID:
      return fail(StatusCode::Responder, status::kRequestUnsupported,
                  "LogoutRequest names the principal by BaseID; only a plain NameID is supported");
  }
  return invalid("LogoutRequest names no principal");
}

}  // namespace propusk::saml
