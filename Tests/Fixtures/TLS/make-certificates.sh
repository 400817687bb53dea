#!/usr/bin/env bash
# Makes the TLS test certificates in this folder (run once; the results are committed). Needs `openssl`.
# Every key is EC P-256 and every certificate is valid for 100 years, except expired-server.pem.
set -euo pipefail
cd "$(dirname "$0")"
days=36500
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { # name subject
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -days $days -subj "$2" -out "$1.pem" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() { # name subject san usage issuer
    key "$1.key"
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$3" "$4" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$5.pem" -CAkey "$5.key" -CAcreateserial -days $days \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}
ca ca "/O=MultiSocket Test/CN=MultiSocket Test CA"
ca other-ca "/O=Someone Else/CN=Untrusted Test CA"
leaf server "/O=MultiSocket Test/CN=localhost" "DNS:localhost,IP:127.0.0.1,IP:::1" serverAuth ca
leaf client-a "/O=MultiSocket Test/CN=client-a" "DNS:client-a.test,email:a@multisocket.test" clientAuth ca
leaf client-b "/O=MultiSocket Test/CN=client-b" "DNS:client-b.test" clientAuth ca
leaf wrong-host "/O=MultiSocket Test/CN=wrong.example" "DNS:wrong.example" serverAuth ca
leaf untrusted-server "/O=Someone Else/CN=localhost" "DNS:localhost,IP:127.0.0.1" serverAuth other-ca
leaf untrusted-client "/O=Someone Else/CN=intruder" "DNS:intruder.test" clientAuth other-ca
# An expired server certificate (2001-2002), signed by the trusted CA through `openssl ca`.
key expired-server.key
openssl req -new -key expired-server.key -subj "/O=MultiSocket Test/CN=localhost" -out expired-server.csr
work=$(mktemp -d)
touch "$work/index.txt"
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = anything
copy_extensions = none
x509_extensions = leaf
[anything]
organizationName = optional
commonName = supplied
[leaf]
subjectAltName = DNS:localhost,IP:127.0.0.1
extendedKeyUsage = serverAuth
basicConstraints = CA:FALSE
CNF
echo 01 > "$work/serial"
openssl ca -batch -config "$work/ca.cnf" -cert ca.pem -keyfile ca.key -in expired-server.csr \
    -startdate 20010101000000Z -enddate 20020101000000Z -out expired-server.pem 2>/dev/null
rm -rf "$work" expired-server.csr ca.srl other-ca.srl
# A TLS 1.2 peer needs nothing more; `openssl x509 -in X.pem -noout -text` shows what each holds.
