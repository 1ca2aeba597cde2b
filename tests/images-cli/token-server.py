# SPDX-License-Identifier: GPL-2.0-or-later
# A token server for docker-registry's "auth: token" (Debian packages none):
# HTTPS, checks Basic credentials against one user, answers {"token": JWT}
# signed RS256 with the key whose certificate the registry trusts (x5c).
# The registry itself checks every token. Usage:
#   python3 token-server.py PORT CERT KEY TOKENCERT TOKENKEY USER PASS LOG
import base64, http.server, json, ssl, sys, time, urllib.parse, uuid
import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

port, cert, key, tcert, tkey, user, password, log = sys.argv[1:9]
der = x509.load_pem_x509_certificate(open(tcert, 'rb').read()).public_bytes(Encoding.DER)
signing_key = open(tkey, 'rb').read()

class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        auth = self.headers.get('Authorization', '')
        ok = auth.startswith('Basic ') and base64.b64decode(auth[6:]).decode() == user + ':' + password
        with open(log, 'a') as f:
            f.write('%s basic=%s scope=%s\n' % (u.path, ok, ','.join(q.get('scope', []))))
        if u.path != '/token' or not ok:
            self.send_response(401)
            self.send_header('Content-Type', 'application/json')
            self.end_headers()
            self.wfile.write(b'{"errors":[{"code":"UNAUTHORIZED","message":"token server: bad credentials"}]}')
            return
        access = []
        for s in q.get('scope', []):
            t, name, actions = s.split(':')
            access.append({'type': t, 'name': name, 'actions': actions.split(',')})
        now = int(time.time())
        claims = {'iss': 'husk-test-issuer', 'sub': user, 'aud': q.get('service', [''])[0],
                  'exp': now + 300, 'nbf': now - 10, 'iat': now, 'jti': str(uuid.uuid4()), 'access': access}
        tok = jwt.encode(claims, signing_key, algorithm='RS256',
                         headers={'x5c': [base64.b64encode(der).decode()]})
        body = json.dumps({'token': tok, 'expires_in': 300}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

srv = http.server.ThreadingHTTPServer(('127.0.0.1', int(port)), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
