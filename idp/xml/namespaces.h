#pragma once

namespace propusk::xml::ns {
inline constexpr char kSamlp[] = "urn:oasis:names:tc:SAML:2.0:protocol";
inline constexpr char kSaml[] = "urn:oasis:names:tc:SAML:2.0:assertion";
inline constexpr char kMd[] = "urn:oasis:names:tc:SAML:2.0:metadata";
inline constexpr char kDs[] = "http://www.w3.org/2000/09/xmldsig#";
inline constexpr char kXenc[] = "http://www.w3.org/2001/04/xmlenc#";
inline constexpr char kXsi[] = "http://www.w3.org/2001/XMLSchema-instance";
inline constexpr char kXs[] = "http://www.w3.org/2001/XMLSchema";
inline constexpr char kMdui[] = "urn:oasis:names:tc:SAML:metadata:ui";
inline constexpr char kMdattr[] = "urn:oasis:names:tc:SAML:metadata:attribute";
inline constexpr char kAlg[] = "urn:oasis:names:tc:SAML:metadata:algsupport";
inline constexpr char kSoap[] = "http://schemas.xmlsoap.org/soap/envelope/";
}  // namespace propusk::xml::ns
