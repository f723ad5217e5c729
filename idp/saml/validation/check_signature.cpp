#include "idp/crypto/query_signature.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/validation/logout_steps.h"
#include "idp/saml/validation/message_checks.h"
#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// Keys come only from the SP's registered metadata. Redirect: detached signature over the
// exact query octets (bindings §3.4.4.1), and no XML signature inside. POST and SOAP: the
// enveloped signature must cover the message element itself (wrapping defence).
Status verifyMessageSignature(xmlNode* root, bool required, std::string_view what, RequestContext& ctx) {
  auto certs = ctx.sp->signingCertificates();
  bool embedded = crypto::signatureChild(root) != nullptr;
  bool signedQuery = ctx.binding == Binding::Redirect && ctx.querySignature && ctx.querySignature->signature;

  if (ctx.binding == Binding::Redirect && embedded)
    return requestDenied("Redirect binding message carries an XML signature (bindings §3.4.4.1)");
  if (signedQuery) {
    auto alg = crypto::signatureAlgorithmFromUri(*ctx.querySignature->sigAlg);
    if (!alg) return requestDenied("unsupported SigAlg " + *ctx.querySignature->sigAlg);
    auto v = crypto::verifyDetached(ctx.querySignature->signedOctets, *ctx.querySignature->signature, *alg, certs,
                                    ctx.sp->allowSha1);
    if (!v) return requestDenied("query signature: " + v.error().detail);
    ctx.signatureVerified = true;
  } else if (embedded) {
    if (certs.empty()) return requestDenied(std::string(what) + " is signed but the SP's metadata has no signing key");
    crypto::VerifyOptions opts;
    opts.allowSha1 = ctx.sp->allowSha1;
    auto v = crypto::verifyEnveloped(root, certs, opts);
    if (!v) return requestDenied("signature: " + v.error().detail);
    ctx.signatureVerified = true;
  }
  if (!ctx.signatureVerified && required)
    return requestDenied("unsigned " + std::string(what) + ", but a signature is required");
  return {};
}

bool logoutSignatureRequired(const RequestContext& ctx) {
  return ctx.binding == Binding::Soap || !ctx.sp->metadata.signingCertificates.empty() || ctx.requireSignedRequests;
}

Status checkSignature(const AuthnRequest& req, RequestContext& ctx) {
  return verifyMessageSignature(req.root, ctx.sp->metadata.authnRequestsSigned || ctx.requireSignedRequests,
                                "AuthnRequest", ctx);
}
Status checkSignature(const LogoutRequest& req, RequestContext& ctx) {
  return verifyMessageSignature(req.root, logoutSignatureRequired(ctx), "LogoutRequest", ctx);
}
Status checkSignature(const LogoutResponse& resp, RequestContext& ctx) {
  return verifyMessageSignature(resp.root, logoutSignatureRequired(ctx), "LogoutResponse", ctx);
}

}  // namespace propusk::saml
