#include "idp/crypto/xmlsec_handles.h"

#include <xmlsec/openssl/evp.h>

namespace propusk::crypto {

Result<XmlSecKeyPtr> xmlsecKey(const EVP_PKEY* pkey) {
  // xmlSecOpenSSLEvpKeyDup only takes a reference (EVP_PKEY_up_ref); nothing is modified.
  EvpPkeyPtr ref(xmlSecOpenSSLEvpKeyDup(const_cast<EVP_PKEY*>(pkey)));
  if (!ref) return responderError(withOpensslErrors("xmlSecOpenSSLEvpKeyDup failed"));
  XmlSecKeyDataPtr data(xmlSecOpenSSLEvpKeyAdopt(ref.get()));
  if (!data) return responderError(withOpensslErrors("xmlSecOpenSSLEvpKeyAdopt failed"));
  (void)ref.release();  // now owned by data
  XmlSecKeyPtr key(xmlSecKeyCreate());
  if (!key || xmlSecKeySetValue(key.get(), data.get()) < 0)
    return responderError(withOpensslErrors("xmlSecKeySetValue failed"));
  (void)data.release();  // now owned by key
  return key;
}

}  // namespace propusk::crypto
