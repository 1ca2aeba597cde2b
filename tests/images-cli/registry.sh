#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real registry for the pull tests: Debian's docker-registry on 127.0.0.1
# with TLS (a CA made here with openssl) and htpasswd basic auth, filled by
# skopeo with the fixtures' images.
#   registry.sh start DIR [FIXTURES] writes DIR/env (REGISTRY=host:port, CA=,
#                                    AUTH= an auth.json, PID=)
#   registry.sh stop DIR
set -euo pipefail
cmd=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)
case $cmd in
start)
	fx=${3:-}
	mkdir -p "$dir/data"
	cd "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=husk test CA" \
		-keyout ca.key -out ca.crt 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout key.pem -out req.pem 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > ext.cnf
	openssl x509 -req -in req.pem -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile ext.cnf -out cert.pem 2>/dev/null
	htpasswd -Bbn husk s3cret > htpasswd
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat > config.yml <<C
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  tls:
    certificate: $dir/cert.pem
    key: $dir/key.pem
auth:
  htpasswd:
    realm: husk-test
    path: $dir/htpasswd
C
	setsid docker-registry serve config.yml >registry.log 2>&1 </dev/null &
	pid=$!
	# the same with Bearer tokens from token-server.py
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=husk token signer" \
		-keyout token.key -out token.crt 2>/dev/null
	tport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	rport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	sed -e "s|addr: 127.0.0.1:$port|addr: 127.0.0.1:$rport|" -e "s|rootdirectory: $dir/data|rootdirectory: $dir/tdata|" \
		-e '/^auth:/,$d' config.yml > tconfig.yml
	cat >> tconfig.yml <<C
auth:
  token:
    realm: https://127.0.0.1:$tport/token
    service: husk-registry
    issuer: husk-test-issuer
    rootcertbundle: $dir/token.crt
C
	setsid /usr/bin/python3 "$here/token-server.py" "$tport" cert.pem key.pem token.crt token.key husk s3cret \
		"$dir/token.log" >token-server.log 2>&1 </dev/null &
	tpid=$!
	setsid docker-registry serve tconfig.yml >tregistry.log 2>&1 </dev/null &
	rpid=$!
	for p in $port $rport $tport; do
		for _ in $(seq 100); do
			curl -s --cacert ca.crt -o /dev/null "https://127.0.0.1:$p/" && break
			sleep 0.1
		done
	done
	mkdir -p certs && cp ca.crt certs/ca.crt
	auth=$(printf husk:s3cret | base64)
	printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"},"127.0.0.1:%s":{"auth":"%s"}}}\n' "$port" "$auth" "$rport" "$auth" > auth.json
	chmod 0644 auth.json ca.crt
	reg=127.0.0.1:$port
	printf 'REGISTRY=%s\nTOKEN_REGISTRY=127.0.0.1:%s\nTOKEN_LOG=%s\nCA=%s\nAUTH=%s\nPID=%s\nPIDS="%s %s"\n' \
		"$reg" "$rport" "$dir/token.log" "$dir/ca.crt" "$dir/auth.json" "$pid" "$rpid" "$tpid" > env
	[ -n "$fx" ] || exit 0
	push() { skopeo copy -q --dest-creds husk:s3cret --dest-cert-dir "$dir/certs" "$1" "docker://$reg/$2"; }
	push "oci:$fx/oci:t" husk/test:t
	push "oci:$fx/oci:t" husk/test:latest
	push "oci:$fx/oci:one" husk/one:v1
	push "oci:$fx/oci:two" husk/one:v2
	skopeo copy -q --dest-creds husk:s3cret --dest-cert-dir "$dir/certs" "oci:$fx/oci:t" "docker://127.0.0.1:$rport/husk/test:t"
	;;
stop)
	# shellcheck disable=SC1091
	. "$dir/env"
	for p in $PID ${PIDS:-}; do
		kill "$p" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	;;
esac
