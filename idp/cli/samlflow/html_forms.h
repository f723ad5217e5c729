// Forms on an IdP's pages, found and filled the way a person's browser would: generic, not
// tuned to one IdP's markup (input names, order and hidden fields differ between IdPs).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "idp/core/result.h"

namespace propusk::cli::samlflow {

struct FormControl {
  std::string tag;           // input, button, select, textarea
  std::string type;          // lowercase; "text" for an input without a type
  std::string name;
  std::string value;         // value attribute, textarea text, or the selected option
  std::string id;
  std::string autocomplete;  // lowercase
  bool checked = false;      // checkbox/radio
  bool disabled = false;
};

struct HtmlForm {
  std::string action;  // absolute URL (the page's URL when the form has no action)
  std::string method;  // "GET" or "POST"
  std::string enctype; // lowercase; application/x-www-form-urlencoded unless said otherwise
  std::vector<FormControl> controls;  // document order

  bool has(std::string_view name) const;
  std::optional<std::string> value(std::string_view name) const;  // first control named so
};

struct Page {
  std::string title;
  std::string alertText;  // the text of the first role="alert" or class="...error..." element
  std::vector<HtmlForm> forms;
};

// Reads the page's forms; pageUrl resolves relative actions. charset: from Content-Type.
Result<Page> readPage(std::string_view html, std::string_view pageUrl,
                      const std::optional<std::string>& charset = std::nullopt);

// The login form: one whose controls include exactly one password input. The username input
// is the text/email/tel input whose name, id or autocomplete says user/login/mail (else the
// first such input). Indexes into form.controls.
struct LoginFormChoice {
  std::size_t form = 0;
  std::size_t username = 0;
  std::size_t password = 0;
};
std::optional<LoginFormChoice> findLoginForm(const Page& page);

// A second-factor form: no password input, and one text/number/tel input that asks for a
// one-time code — autocomplete="one-time-code" (HTML's token for it), else a name or id
// saying otp, totp, code, token or one-time.
struct OneTimeCodeChoice {
  std::size_t form = 0;
  std::size_t code = 0;
};
std::optional<OneTimeCodeChoice> findOneTimeCodeForm(const Page& page);

// A form carrying `field` (SAMLResponse, SAMLRequest) — an auto-POST page; nullptr if none.
const HtmlForm* findFormWith(const Page& page, std::string_view field);

// The successful controls (HTML §4.10.21.4) of the form as name/value pairs: hidden and
// text inputs with their values, checked checkboxes/radios, selects, textareas, and the
// first named submit button; disabled controls, other buttons, files and images are left out.
std::vector<std::pair<std::string, std::string>> formData(const HtmlForm& form);

// formData with the username and password filled in.
std::vector<std::pair<std::string, std::string>> fillLoginForm(const HtmlForm& form, const LoginFormChoice& choice,
                                                               const std::string& username, const std::string& password);

// application/x-www-form-urlencoded (spaces as '+').
std::string encodeFormData(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace propusk::cli::samlflow
