// A second module, imported by app.js.
export function greet(name) {
  return `hello from the ${name}`;
}

export function fibonacci(n) {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i += 1) [a, b] = [b, a + b];
  return a;
}
