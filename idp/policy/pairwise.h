// Subject identifiers that are stable, opaque and — for persistent NameIDs and pairwise-id —
// different per SP, so that two SPs cannot join their records (DESIGN.md NameID). Derived by
// HMAC from a store secret and the account's immutable uid, hence stable across key rotation.
#pragma once

#include <string>
#include <string_view>

namespace propusk::policy {

// persistent NameID value for (user, SP): 43 characters of base64url without padding.
std::string persistentNameId(std::string_view secret, std::string_view userUid, std::string_view spEntityId);
// SessionIndex for (IdP session, SP, NameID): "_" and 40 hex characters. With a persistent
// NameID it is the same in every Assertion the SP gets during one session (as Keycloak's per
// client session), so a repeat login at an SP changes nothing in the session's record; a
// transient NameID gives a new one each time (the SP must not link those logins through it).
// Different per SP, and unguessable without the secret (an unsigned LogoutRequest must name
// it). sessionIdHash is the session's store key.
std::string sessionIndex(std::string_view secret, std::string_view sessionIdHash, std::string_view spEntityId,
                         std::string_view nameId);

// OASIS SAML V2.0 Subject Identifier Attributes Profile: "uniqueID@scope", uniqueID of
// [a-z0-9] (lowercase hex, 64 characters), scope a domain name of ours.
inline constexpr std::string_view kSubjectIdName = "urn:oasis:names:tc:SAML:attribute:subject-id";
inline constexpr std::string_view kPairwiseIdName = "urn:oasis:names:tc:SAML:attribute:pairwise-id";
std::string subjectId(std::string_view secret, std::string_view userUid, std::string_view scope);
std::string pairwiseId(std::string_view secret, std::string_view userUid, std::string_view spEntityId,
                       std::string_view scope);

}  // namespace propusk::policy
