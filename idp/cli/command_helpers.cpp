#include "idp/cli/command_helpers.h"

#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "idp/cli/args.h"
#include "idp/cli/context.h"
#include "idp/core/clock.h"
#include "idp/web/metadata_fetch.h"

namespace propusk::cli {

namespace {

// At most maxBytes + 1 bytes are ever read (a FIFO, /dev/zero...).
std::optional<std::string> readCapped(const std::string& path, std::size_t maxBytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data(maxBytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  return data;
}

}  // namespace

std::string readMetadataSource(const std::string& source) {
  if (source.starts_with("http://") || source.starts_with("https://")) {
    auto body = web::fetchUrl(source);
    if (!body) throw CliError("metadata: cannot fetch " + source + ": " + body.error().detail);
    return *body;
  }
  constexpr std::size_t kMax = 1u << 20;
  auto data = readCapped(source, kMax);
  if (!data) throw CliError("metadata: cannot read file " + source);
  if (data->size() > kMax) throw CliError("metadata: file " + source + " is larger than 1 MiB");
  return *data;
}

std::string readSmallFile(const std::string& path, const std::string& field, std::size_t maxBytes) {
  if (std::filesystem::is_directory(path)) throw CliError(field + ": " + path + " is a directory");
  auto data = readCapped(path, maxBytes);
  if (!data) throw CliError(field + ": cannot read file " + path);
  if (data->size() > maxBytes)
    throw CliError(field + ": file " + path + " is larger than " + std::to_string(maxBytes / 1024) + " KiB");
  return *data;
}

bool parseYesNo(const std::string& value, const std::string& field) {
  if (value == "yes") return true;
  if (value == "no") return false;
  throw CliError(field + ": must be yes or no, not '" + value + "'");
}

Poco::JSON::Array::Ptr toJsonArray(const std::vector<std::string>& v) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  for (auto& s : v) a->add(s);
  return a;
}

Poco::JSON::Array::Ptr refusalsJson(store::Store& store, const std::string& target) {
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
  for (auto& e : store.listRefusals(target, kShownRefusals)) {
    Poco::JSON::Object::Ptr r = new Poco::JSON::Object;
    r->set("time", formatXsDateTime(e.time));
    r->set("action", e.record.action);
    r->set("seq", e.seq);
    try {
      auto d = Poco::JSON::Parser().parse(e.record.details).extract<Poco::JSON::Object::Ptr>();
      for (auto key : {"step", "detail", "remedy", "id", "remote"})
        if (d->has(key)) r->set(key, d->getValue<std::string>(key));
      // Before the signature step anybody can claim to be this peer (older events: unknown).
      r->set("authenticated", d->optValue<bool>("authenticated", false));
    } catch (const Poco::Exception&) {
      r->set("detail", e.record.details);  // not the JSON a refusal writes: shown as is
    }
    arr->add(r);
  }
  return arr;
}

void warnSignatureUnchecked(std::ostream& err) {
  err << "propuskctl: warning: the metadata is signed but no --trust was given; its signature was not checked\n";
}

void printRefusals(std::ostream& out, const Poco::JSON::Array::Ptr& refusals, const std::string& who) {
  out << "last refusals:      " << (refusals->size() ? "(newest first)" : "none") << "\n";
  for (size_t i = 0; i < refusals->size(); ++i) {
    auto r = refusals->getObject(static_cast<unsigned>(i));
    out << "  " << r->getValue<std::string>("time") << "  " << r->getValue<std::string>("action") << "  step "
        << r->optValue<std::string>("step", "-") << ": " << r->optValue<std::string>("detail", "") << "\n";
    if (!r->getValue<bool>("authenticated"))
      out << "    sent by somebody who did not prove to be this " << who << " (from "
          << r->optValue<std::string>("remote", "?") << "): its name in the message may be false\n";
    if (r->has("remedy")) out << "    remedy: " << r->getValue<std::string>("remedy") << "\n";
  }
}

}  // namespace propusk::cli
