#include "idp/cli/samlflow/html_forms.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>

#include "idp/web/url.h"
#include "idp/xml/dom.h"
#include "idp/xml/html.h"

namespace propusk::cli::samlflow {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Text as a reader sees it: <br> and element boundaries separate words ("...пароль.<br>Wrong").
void gatherText(const xmlNode* n, std::string& out) {
  for (const xmlNode* c = n->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      out += reinterpret_cast<const char*>(c->content ? c->content : BAD_CAST "");
    } else if (c->type == XML_ELEMENT_NODE) {
      bool inline_ = xmlStrcasecmp(c->name, BAD_CAST "b") == 0 || xmlStrcasecmp(c->name, BAD_CAST "i") == 0 ||
                     xmlStrcasecmp(c->name, BAD_CAST "em") == 0 || xmlStrcasecmp(c->name, BAD_CAST "strong") == 0 ||
                     xmlStrcasecmp(c->name, BAD_CAST "a") == 0 || xmlStrcasecmp(c->name, BAD_CAST "code") == 0;
      if (!inline_) out += ' ';
      if (xmlStrcasecmp(c->name, BAD_CAST "script") != 0 && xmlStrcasecmp(c->name, BAD_CAST "style") != 0) gatherText(c, out);
      if (!inline_) out += ' ';
    }
  }
}

std::string textOf(const xmlNode* n) {
  std::string raw;
  gatherText(n, raw);
  return xml::collapseWhitespace(raw);
}

// HTML attributes are unqualified; the parser lowercases their names.
std::optional<std::string> htmlAttr(const xmlNode* n, const char* name) { return xml::attr(n, name); }

void forEachElement(xmlNode* n, const std::function<void(xmlNode*)>& fn) {
  for (xmlNode* c = n ? n->children : nullptr; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    fn(c);
    forEachElement(c, fn);
  }
}

bool hasClassToken(const xmlNode* n, const std::vector<std::string_view>& wanted) {
  std::string cls = lower(htmlAttr(n, "class").value_or(""));
  size_t pos = 0;
  while (pos < cls.size()) {
    size_t end = cls.find_first_of(" \t\n", pos);
    if (end == std::string::npos) end = cls.size();
    std::string_view token = std::string_view(cls).substr(pos, end - pos);
    for (auto w : wanted)
      if (token == w || (w == "error" && token.find("error") != std::string_view::npos)) return true;
    pos = end + 1;
  }
  return false;
}

FormControl readControl(xmlNode* e) {
  FormControl c;
  c.tag = lower(reinterpret_cast<const char*>(e->name));
  c.name = htmlAttr(e, "name").value_or("");
  c.id = htmlAttr(e, "id").value_or("");
  c.autocomplete = lower(htmlAttr(e, "autocomplete").value_or(""));
  c.disabled = htmlAttr(e, "disabled").has_value();
  if (c.tag == "input") {
    c.type = lower(xml::collapseWhitespace(htmlAttr(e, "type").value_or("text")));
    if (c.type.empty()) c.type = "text";
    c.value = htmlAttr(e, "value").value_or(c.type == "checkbox" || c.type == "radio" ? "on" : "");
    c.checked = htmlAttr(e, "checked").has_value();
  } else if (c.tag == "button") {
    c.type = lower(xml::collapseWhitespace(htmlAttr(e, "type").value_or("submit")));
    c.value = htmlAttr(e, "value").value_or("");
  } else if (c.tag == "textarea") {
    c.type = "textarea";
    c.value = xml::takeString(xmlNodeGetContent(e));
  } else {  // select: the selected option, else the first (HTML §4.10.7 for a single select)
    c.type = "select";
    std::optional<std::string> first, selected;
    forEachElement(e, [&](xmlNode* o) {
      if (!xml::isHtmlElement(o, "option")) return;
      std::string v = htmlAttr(o, "value").value_or(textOf(o));
      if (!first) first = v;
      if (!selected && htmlAttr(o, "selected")) selected = v;
    });
    c.value = selected.value_or(first.value_or(""));
  }
  return c;
}

bool isControl(const xmlNode* e) {
  return xml::isHtmlElement(e, "input") || xml::isHtmlElement(e, "button") || xml::isHtmlElement(e, "select") ||
         xml::isHtmlElement(e, "textarea");
}

bool isTextLike(const FormControl& c) {
  return c.tag == "input" && (c.type == "text" || c.type == "email" || c.type == "tel" || c.type == "search");
}

bool looksLikeUsername(const FormControl& c) {
  if (c.autocomplete == "username" || c.autocomplete == "email") return true;
  for (const std::string& s : {lower(c.name), lower(c.id)})
    for (std::string_view w : {"user", "login", "mail", "uid", "account", "ident", "principal", "logon"})
      if (s.find(w) != std::string::npos) return true;
  return false;
}

bool isSubmit(const FormControl& c) {
  return (c.tag == "input" && c.type == "submit") || (c.tag == "button" && c.type == "submit");
}

}  // namespace

bool HtmlForm::has(std::string_view name) const {
  return std::any_of(controls.begin(), controls.end(), [&](auto& c) { return c.name == name; });
}

std::optional<std::string> HtmlForm::value(std::string_view name) const {
  for (auto& c : controls)
    if (c.name == name) return c.value;
  return std::nullopt;
}

Result<Page> readPage(std::string_view html, std::string_view pageUrl, const std::optional<std::string>& charset) {
  auto doc = xml::parseHtml(html, charset);
  if (!doc) return std::unexpected(doc.error());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  Page page;
  xmlNode* alert = nullptr;
  xmlNode* classAlert = nullptr;
  std::deque<std::pair<xmlNode*, HtmlForm>> forms;  // deque: pointers stay valid while walking
  std::vector<std::pair<std::string, xmlNode*>> formIds;
  // Walk in document order; a control belongs to its nearest form ancestor, or to the form
  // its form="id" attribute names.
  std::function<void(xmlNode*, HtmlForm*)> walk = [&](xmlNode* n, HtmlForm* current) {
    for (xmlNode* c = n->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      if (xml::isHtmlElement(c, "title") && page.title.empty()) page.title = textOf(c);
      if (!alert && lower(htmlAttr(c, "role").value_or("")) == "alert") alert = c;
      if (!classAlert && hasClassToken(c, {"error", "err", "alert"})) classAlert = c;
      if (xml::isHtmlElement(c, "form")) {
        HtmlForm f;
        auto action = htmlAttr(c, "action").value_or("");
        f.action = web::resolveUrl(pageUrl, action).value_or(std::string(pageUrl));
        f.method = lower(xml::collapseWhitespace(htmlAttr(c, "method").value_or("get"))) == "post" ? "POST" : "GET";
        f.enctype = lower(xml::collapseWhitespace(htmlAttr(c, "enctype").value_or("application/x-www-form-urlencoded")));
        forms.emplace_back(c, std::move(f));
        if (auto id = htmlAttr(c, "id")) formIds.emplace_back(*id, c);
        walk(c, &forms.back().second);
        continue;
      }
      if (isControl(c)) {
        HtmlForm* owner = current;
        if (auto f = htmlAttr(c, "form")) {
          owner = nullptr;
          for (auto& [id, node] : formIds)
            if (id == *f)
              for (auto& [fn, form] : forms)
                if (fn == node) owner = &form;
        }
        if (owner) owner->controls.push_back(readControl(c));
        if (xml::isHtmlElement(c, "select") || xml::isHtmlElement(c, "textarea")) continue;
      }
      walk(c, current);
    }
  };
  walk(root, nullptr);
  if (forms.size() > 64) return invalid("the page has more than 64 forms");
  if (xmlNode* a = alert ? alert : classAlert) page.alertText = textOf(a);
  for (auto& [node, form] : forms) page.forms.push_back(std::move(form));
  return page;
}

std::optional<LoginFormChoice> findLoginForm(const Page& page) {
  for (std::size_t f = 0; f < page.forms.size(); ++f) {
    const auto& controls = page.forms[f].controls;
    std::vector<std::size_t> passwords, texts;
    for (std::size_t i = 0; i < controls.size(); ++i) {
      if (controls[i].disabled || controls[i].name.empty()) continue;
      if (controls[i].tag == "input" && controls[i].type == "password") passwords.push_back(i);
      if (isTextLike(controls[i])) texts.push_back(i);
    }
    if (passwords.size() != 1 || texts.empty()) continue;  // none, or a password-change form
    LoginFormChoice choice{f, texts.front(), passwords.front()};
    for (std::size_t i : texts)
      if (looksLikeUsername(controls[i])) {
        choice.username = i;
        break;
      }
    return choice;
  }
  return std::nullopt;
}

std::optional<OneTimeCodeChoice> findOneTimeCodeForm(const Page& page) {
  auto codeLike = [](const FormControl& c) {
    if (c.tag != "input" || !(c.type == "text" || c.type == "number" || c.type == "tel" || c.type == "password")) return 0;
    if (c.autocomplete == "one-time-code") return 2;
    for (const std::string& s : {lower(c.name), lower(c.id)})
      for (std::string_view w : {"otp", "totp", "code", "token", "one-time", "onetime", "passcode"})
        if (s.find(w) != std::string::npos) return 1;
    return 0;
  };
  for (std::size_t f = 0; f < page.forms.size(); ++f) {
    const auto& controls = page.forms[f].controls;
    std::optional<std::size_t> best;
    int bestScore = 0, passwords = 0;
    for (std::size_t i = 0; i < controls.size(); ++i) {
      if (controls[i].disabled || controls[i].name.empty()) continue;
      int score = codeLike(controls[i]);
      if (controls[i].type == "password" && score == 0) ++passwords;
      if (score > bestScore) bestScore = score, best = i;
    }
    if (best && passwords == 0) return OneTimeCodeChoice{f, *best};
  }
  return std::nullopt;
}

const HtmlForm* findFormWith(const Page& page, std::string_view field) {
  for (auto& f : page.forms)
    if (f.has(field)) return &f;
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> formData(const HtmlForm& form) {
  std::vector<std::pair<std::string, std::string>> out;
  bool submitUsed = false;
  for (auto& c : form.controls) {
    if (c.disabled || c.name.empty()) continue;
    if (isSubmit(c)) {
      if (!submitUsed) out.emplace_back(c.name, c.value);
      submitUsed = true;
      continue;
    }
    if (c.tag == "button" || c.type == "reset" || c.type == "button" || c.type == "file" || c.type == "image") continue;
    if ((c.type == "checkbox" || c.type == "radio") && !c.checked) continue;
    out.emplace_back(c.name, c.value);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> fillLoginForm(const HtmlForm& form, const LoginFormChoice& choice,
                                                               const std::string& username, const std::string& password) {
  HtmlForm filled = form;
  filled.controls[choice.username].value = username;
  filled.controls[choice.password].value = password;
  return formData(filled);
}

std::string encodeFormData(const std::vector<std::pair<std::string, std::string>>& fields) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  auto enc = [](std::string_view s) {
    std::string o;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '*') o += static_cast<char>(c);
      else if (c == ' ') o += '+';
      else {
        o += '%';
        o += kHex[c >> 4];
        o += kHex[c & 15];
      }
    }
    return o;
  };
  std::string out;
  for (auto& [k, v] : fields) out += (out.empty() ? "" : "&") + enc(k) + "=" + enc(v);
  return out;
}

}  // namespace propusk::cli::samlflow
