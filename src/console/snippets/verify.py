import os
from http.server import BaseHTTPRequestHandler, HTTPServer
from standardwebhooks.webhooks import Webhook

webhook = Webhook(os.environ["GNLC_WEBHOOK_SECRET"])  # the whsec_… secret

class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            event = webhook.verify(body, headers)
        except Exception:
            self.send_response(400)
            self.end_headers()
            return
        print(event["type"], event["data"])
        self.send_response(204)
        self.end_headers()

HTTPServer(("", 8080), Receiver).serve_forever()
