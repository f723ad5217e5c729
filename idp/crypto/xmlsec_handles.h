// The one place that names xmlsec1's free/destroy functions (STYLE: C handles, one place each).
#pragma once

#include <xmlsec/xmlsec.h>
#include <xmlsec/keys.h>
#include <xmlsec/keysdata.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlenc.h>

#include <memory>

#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"  // FreeWith

namespace propusk::crypto {

using DSigCtxPtr = std::unique_ptr<xmlSecDSigCtx, FreeWith<&xmlSecDSigCtxDestroy>>;
using EncCtxPtr = std::unique_ptr<xmlSecEncCtx, FreeWith<&xmlSecEncCtxDestroy>>;
using KeysMngrPtr = std::unique_ptr<xmlSecKeysMngr, FreeWith<&xmlSecKeysMngrDestroy>>;
// A key; once handed to a dsig context (ctx->signKey = key.release()) the context owns it.
using XmlSecKeyPtr = std::unique_ptr<xmlSecKey, FreeWith<&xmlSecKeyDestroy>>;
// Key data not (yet) attached to a key; xmlSecKeySetValue takes ownership on success.
using XmlSecKeyDataPtr = std::unique_ptr<xmlSecKeyData, FreeWith<&xmlSecKeyDataDestroy>>;

// The xmlsec key for a private or public EVP_PKEY; takes a reference of its own (shared by
// xml_signature.cpp and xml_encryption.cpp).
Result<XmlSecKeyPtr> xmlsecKey(const EVP_PKEY* pkey);

}  // namespace propusk::crypto
