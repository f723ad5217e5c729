// propusk: the SAML 2.0 identity provider server. All logic lives in idp/app and idp/web.
#include "idp/app/server_app.h"

int main(int argc, char** argv) {
  propusk::app::ServerApp app;
  return app.run(argc, argv);
}
