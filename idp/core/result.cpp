#include "idp/core/result.h"

namespace propusk {

std::string_view statusCodeUri(StatusCode code) {
  switch (code) {
    case StatusCode::Success: return "urn:oasis:names:tc:SAML:2.0:status:Success";
    case StatusCode::Requester: return "urn:oasis:names:tc:SAML:2.0:status:Requester";
    case StatusCode::Responder: return "urn:oasis:names:tc:SAML:2.0:status:Responder";
    case StatusCode::VersionMismatch: return "urn:oasis:names:tc:SAML:2.0:status:VersionMismatch";
  }
  return "urn:oasis:names:tc:SAML:2.0:status:Responder";
}

}  // namespace propusk
