const ctxs = Array.from({ length: 64 }, () => ({ local_port: 587, is_tls: true }));
const OP = Object.prototype;
const gp = Object.getPrototypeOf;
const variants = {
  getProto: (v) => (gp(v) === OP ? 1 : 0),
  reflect: (v) => (Reflect.getPrototypeOf(v) === OP ? 1 : 0),
  dunder: (v) => (v.__proto__ === OP ? 1 : 0),
  hasOwn2: (v) => (Object.prototype.hasOwnProperty.call(v, 'local_port') && Object.prototype.hasOwnProperty.call(v, 'is_tls') ? 1 : 0),
  objectHasOwn: (v) => (Object.hasOwn(v, 'local_port') ? 1 : 0),
};
for (const [name, f] of Object.entries(variants)) {
  let acc = 0; const N = 50_000_000;
  for (let k = 0; k < 2; k++) { const t = performance.now(); for (let i = 0; i < N; i++) acc += f(ctxs[i & 63]); console.log(name, (((performance.now() - t) * 1e6) / N).toFixed(2)); }
}
