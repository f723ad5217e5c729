// The one place that names OpenSSL's free functions (STYLE: C handles, one place each).
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace propusk::crypto {

template <auto Fn>
struct FreeWith {
  template <class T>
  void operator()(T* p) const noexcept { Fn(p); }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, FreeWith<&EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, FreeWith<&EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, FreeWith<&EVP_MD_CTX_free>>;
using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, FreeWith<&EVP_CIPHER_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, FreeWith<&X509_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, FreeWith<&X509_NAME_free>>;
using BioPtr = std::unique_ptr<BIO, FreeWith<&BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, FreeWith<&BN_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, FreeWith<&ECDSA_SIG_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, FreeWith<&ASN1_INTEGER_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, FreeWith<&X509_EXTENSION_free>>;

// Bytes from OPENSSL_malloc (OPENSSL_free is a macro: wrapped), e.g. an OAEP label handed
// to EVP_PKEY_CTX_set0_rsa_oaep_label, which takes ownership only when it succeeds.
struct OpensslFreeFn {
  void operator()(void* p) const noexcept { OPENSSL_free(p); }
};
using OpensslBytesPtr = std::unique_ptr<unsigned char, OpensslFreeFn>;

using EvpMdFetchedPtr = std::unique_ptr<EVP_MD, FreeWith<&EVP_MD_free>>;

// SHA-1/256/512 fetched from the default provider once per process. EVP_sha256() and
// friends are legacy handles: OpenSSL 3 fetches the implementation again, through its
// locked method store, on every digest or signature that names them.
const EVP_MD* sha1Md();
const EVP_MD* sha256Md();
const EVP_MD* sha512Md();

// Empties OpenSSL's thread-local error queue into one line for Error::detail.
std::string drainOpensslErrors();
// `what`, then ": " and the drained errors when there are any.
std::string withOpensslErrors(std::string what);

}  // namespace propusk::crypto
