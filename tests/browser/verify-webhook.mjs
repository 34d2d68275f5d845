// Verifies deliveries the way a partner's Node receiver does, with the `standardwebhooks`
// package. Reads `{"secret", "requests": [{"headers", "body"}]}` on stdin; prints each
// verified event's type, one per line; exits 1 at the first request that does not verify.
import { Webhook } from "standardwebhooks";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { secret, requests } = JSON.parse(input);
const webhook = new Webhook(secret);
for (const { headers, body } of requests) {
  try {
    const event = webhook.verify(body, headers);
    console.log(event.type);
  } catch (error) {
    console.error(`not verified: ${error.message}`);
    process.exit(1);
  }
}
