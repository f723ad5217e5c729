<?php
/*
 * Test recorder, prepended to every script (php_admin_value auto_prepend_file): appends each
 * SAML message this SimpleSAMLphp receives (GET query or POST form) and the answer it gives
 * (HTTP status, Location, an auto-POST page's body) to $PROPUSK_TEST_RECORD as JSON lines,
 * linked by a request id. It changes nothing of the request or the answer.
 */
(function () {
    $file = getenv('PROPUSK_TEST_RECORD');
    if (!$file) {
        return;
    }
    $write = function (array $entry) use ($file) {
        file_put_contents($file, json_encode($entry, JSON_UNESCAPED_SLASHES) . "\n", FILE_APPEND | LOCK_EX);
    };
    $rid = bin2hex(random_bytes(8));
    $params = [];
    foreach (['SAMLRequest', 'SAMLResponse', 'RelayState', 'SigAlg', 'Signature'] as $k) {
        if (isset($_GET[$k]) && is_string($_GET[$k])) {
            $params['get'][$k] = $_GET[$k];
        }
        if (isset($_POST[$k]) && is_string($_POST[$k])) {
            $params['post'][$k] = $_POST[$k];
        }
    }
    if ($params) {
        $write([
            'rid' => $rid, 'dir' => 'in', 'time' => microtime(true),
            'method' => $_SERVER['REQUEST_METHOD'] ?? '', 'uri' => $_SERVER['REQUEST_URI'] ?? '',
            'query' => $_SERVER['QUERY_STRING'] ?? '', 'params' => $params,
        ]);
    }
    $body = '';
    ob_start(function ($buffer, $phase) use (&$body, $write, $rid, $params) {
        $body .= $buffer;
        if ($phase & PHP_OUTPUT_HANDLER_FINAL) {
            $location = null;
            foreach (headers_list() as $h) {
                if (stripos($h, 'Location:') === 0) {
                    $location = trim(substr($h, 9));
                }
            }
            $saml = $location !== null && preg_match('/[?&]SAML(Request|Response)=/', $location);
            $form = strpos($body, 'name="SAMLRe') !== false;
            if ($params || $saml || $form) {
                $write([
                    'rid' => $rid, 'dir' => 'out', 'time' => microtime(true),
                    'status' => http_response_code(), 'location' => $location,
                    // The body of every answer to a SAML message: SimpleSAMLphp 1.19 shows its
                    // error page ("Unhandled exception") with HTTP 200.
                    'body' => ($form || $params) ? $body : null,
                ]);
            }
        }
        return $buffer;
    }, 0);
})();
