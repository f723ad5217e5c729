<?php
/*
 * The SPs this IdP serves: every SP metadata file in ../sp-metadata/, converted when loaded
 * with SimpleSAMLphp's own parser (what its metadata converter page does).
 */
foreach (glob(__DIR__ . '/../sp-metadata/*.xml') as $file) {
    foreach (\SimpleSAML\Metadata\SAMLParser::parseDescriptorsFile($file) as $entity) {
        $md = $entity->getMetadata20SP();
        if ($md !== null) {
            $metadata[$md['entityid']] = $md;
        }
    }
}
