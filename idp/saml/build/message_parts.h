// Pieces every samlp message built in memory shares (error Responses, LogoutRequest,
// LogoutResponse): the Status element and the enveloped signature after the Issuer.
#pragma once

#include <string_view>

#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/crypto/xml_signature.h"
#include "idp/xml/handles.h"

namespace propusk::saml {

// The IdP's key for a message: the certificate, when set, goes into ds:KeyInfo.
struct MessageSigning {
  const EVP_PKEY* key = nullptr;
  const X509* cert = nullptr;
  crypto::SignatureAlgorithm algorithm = crypto::SignatureAlgorithm::RsaSha256;
};

// samlp:Status/samlp:StatusCode with `top`, and `second` nested in it when not empty
// (core §3.2.2.1-2). `samlp` is the protocol namespace, declared on an ancestor.
void addStatus(xmlNode* parent, xmlNs* samlp, StatusCode top, std::string_view second);

// Registers `element`'s ID and signs it: enveloped, exclusive c14n, one Reference to "#ID"
// (core §5.4), the ds:Signature placed right after `issuer` (core §5.4.1: after the Issuer).
Status signAfterIssuer(xmlNode* element, xmlNode* issuer, const MessageSigning& signing);

}  // namespace propusk::saml
