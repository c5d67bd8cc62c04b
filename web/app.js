// The demo's proof that MIME types are right: this file is an ES module (refused
// unless served as JavaScript), it imports another module, and it instantiates a
// WebAssembly module with instantiateStreaming (refused unless application/wasm).
import { greet, fibonacci } from "./lib.mjs";

const status = document.getElementById("status");

async function main() {
  document.getElementById("module-result").textContent =
    `${greet("module")}: fib(20) = ${fibonacci(20)}`;

  const { instance } = await WebAssembly.instantiateStreaming(fetch("/add.wasm"));
  const sum = instance.exports.add(40, 2);
  document.getElementById("wasm-result").textContent = `wasm add(40, 2) = ${sum}`;

  status.textContent = "All checks passed.";
  status.dataset.state = "ok";
}

main().catch((error) => {
  status.textContent = `Failed: ${error}`;
  status.dataset.state = "failed";
  console.error(error);
});
