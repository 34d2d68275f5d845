import http from "node:http";
import { Webhook } from "standardwebhooks";

const webhook = new Webhook(process.env.GNLC_WEBHOOK_SECRET); // the whsec_… secret

http.createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    try {
      const event = webhook.verify(body, request.headers);
      console.log(event.type, event.data);
      response.writeHead(204).end();
    } catch {
      response.writeHead(400).end();
    }
  });
}).listen(8080);
