#include "idp/crypto/query_signature.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/validation/logout_steps.h"
#include "idp/saml/validation/message_checks.h"
#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// Keys come only from the SP's registered metadata. Redirect: detached signature over the
// exact query octets (bindings §3.4.4.1). POST and SOAP: the enveloped signature must cover
// the message element itself (wrapping defence).
//
// Redirect with an XML signature inside as well: bindings §3.4.4.1 tells the sender to remove
// it before deflating, but pysaml2 (handle_logout_request(sign=True), and AuthnRequests with
// sign=True) leaves it in. The query signature covers the deflated message octet for octet,
// so once it verifies with a metadata key the inner one adds nothing and is not evaluated;
// without a query signature such a message is refused as before (an XML signature is never
// the only proof on this binding).
namespace {

// The remedies an administrator reads in the log, the audit and `propuskctl sp show`.
std::string sha1Remedy(const RequestContext& ctx) {
  return "the SP signs with SHA-1, refused by default: configure the SP to sign with RSA-SHA256 (pysaml2: "
         "signing_algorithm and digest_algorithm inside service.sp; Lasso: server.signatureMethod), or allow SHA-1 "
         "for it with `propuskctl sp set " +
         ctx.sp->metadata.entityId + " --allow-sha1`";
}
constexpr std::string_view kKeyRemedy =
    "the signature does not verify with the keys in the SP's registered metadata: if the SP has a new key, register "
    "its current metadata (`propuskctl sp add FILE --replace`)";

}  // namespace

Status verifyMessageSignature(xmlNode* root, bool required, std::string_view what, RequestContext& ctx) {
  auto certs = ctx.sp->signingCertificates();
  xmlNode* embedded = crypto::signatureChild(root);
  bool signedQuery = ctx.binding == Binding::Redirect && ctx.querySignature && ctx.querySignature->signature;

  if (ctx.binding == Binding::Redirect && embedded && !signedQuery)
    return withRemedy(
        requestDenied("Redirect binding message carries an XML signature but no query signature (bindings §3.4.4.1)"),
        "configure the SP to sign the query string (SigAlg and Signature parameters) of HTTP-Redirect messages");
  if (signedQuery) {
    auto alg = crypto::signatureAlgorithmFromUri(*ctx.querySignature->sigAlg);
    if (!alg)
      return withRemedy(requestDenied("unsupported SigAlg " + *ctx.querySignature->sigAlg),
                        "configure the SP to sign with RSA-SHA256, RSA-SHA512 or ECDSA-SHA256");
    // SHA-1 is verified before it is refused: the SHA-1 remedy is given only to a message the
    // SP really signed (anybody can write rsa-sha1 into SigAlg; that earns the key remedy).
    const bool sha1Refused = crypto::isSha1(*alg) && !ctx.sp->allowSha1;
    auto v = crypto::verifyDetached(ctx.querySignature->signedOctets, *ctx.querySignature->signature, *alg, certs,
                                    ctx.sp->allowSha1 || sha1Refused);
    if (!v) return withRemedy(requestDenied("query signature: " + v.error().detail), std::string(kKeyRemedy));
    ctx.senderAuthenticated = true;
    if (sha1Refused)
      return withRemedy(requestDenied("query signature: SHA-1 signature algorithm refused for this SP"), sha1Remedy(ctx));
    ctx.signatureVerified = true;
    ctx.xmlSignatureIgnored = embedded != nullptr;
  } else if (embedded) {
    if (certs.empty())
      return withRemedy(requestDenied(std::string(what) + " is signed but the SP's metadata has no signing key"),
                        "register metadata that carries the SP's signing certificate (`propuskctl sp add FILE "
                        "--replace`)");
    const bool sha1Refused = !ctx.sp->allowSha1 && crypto::declaresSha1(embedded);
    crypto::VerifyOptions opts;
    opts.allowSha1 = ctx.sp->allowSha1 || sha1Refused;  // verified first, refused after (as above)
    auto v = crypto::verifyEnveloped(root, certs, opts);
    if (!v) return withRemedy(requestDenied("signature: " + v.error().detail), std::string(kKeyRemedy));
    ctx.senderAuthenticated = true;
    if (sha1Refused)
      return withRemedy(requestDenied("signature: SHA-1 signature or digest algorithm refused for this SP"),
                        sha1Remedy(ctx));
    ctx.signatureVerified = true;
  }
  if (!ctx.signatureVerified && required)
    return withRemedy(requestDenied("unsigned " + std::string(what) + ", but a signature is required"),
                      "configure the SP to sign its " + std::string(what) +
                          "s (its metadata has a signing key or AuthnRequestsSigned=\"true\", or "
                          "[saml] want_authn_requests_signed is on)");
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
