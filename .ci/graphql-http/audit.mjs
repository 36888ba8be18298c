// Runs every audit of graphql-http (the GraphQL-over-HTTP spec's MUSTs and SHOULDs)
// against a running server; exits 1 when any is not ok. Usage: node audit.mjs URL
// with TOKEN set to a bearer token (the server requires one on every request).
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const token = process.env.TOKEN;
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const results = await auditServer({ url, fetchFn });
const failed = results.filter((result) => result.status !== 'ok');
for (const result of failed) {
  console.log(`${result.status.toUpperCase()} ${result.name}: ${result.reason}`);
}
console.log(`graphql-http audit: ${results.length - failed.length}/${results.length} passed`);
process.exit(failed.length ? 1 : 0);
