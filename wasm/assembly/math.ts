// Vector transcendental functions for f32x4 (Cephes single-precision polynomials, as in sse_mathfun):
// relative error ≈ 1e-7, far below the 0.5/255 that 8-bit output can show.

/** Natural logarithm of positive, normal lanes. */
// @ts-ignore: decorator
@inline export function logF4(x: v128): v128 {
  // x = m·2^e with m in [0.5, 1); then fold m into [√½, √2) around 1.
  const e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126)));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  const small = f32x4.lt(m, f32x4.splat(0.707106781186547524));
  const ef = f32x4.sub(e, v128.and(small, f32x4.splat(1)));
  m = f32x4.add(f32x4.sub(m, f32x4.splat(1)), v128.and(small, m));
  const z = f32x4.mul(m, m);
  let y = f32x4.splat(7.0376836292e-2);
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.1514610310e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.1676998740e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.2420140846e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.4249322787e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.6668057665e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(2.0000714765e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-2.4999993993e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(ef, f32x4.splat(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  return f32x4.add(f32x4.add(m, y), f32x4.mul(ef, f32x4.splat(0.693359375)));
}

/** e^x, lanes clamped to ±88.376 (results underflow to 0 below that). */
// @ts-ignore: decorator
@inline export function expF4(v: v128): v128 {
  let x = f32x4.pmin(f32x4.splat(88.3762626647949), f32x4.pmax(f32x4.splat(-88.3762626647949), v));
  const fx = f32x4.floor(f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(0.5)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  const z = f32x4.mul(x, x);
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), x), f32x4.splat(1));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
  return f32x4.mul(y, pow2n);
}

/** x^p for lanes x in [0, 1] and p > 0 (0^p = 0). */
// @ts-ignore: decorator
@inline export function pow01F4(x: v128, p: v128): v128 {
  const positive = f32x4.gt(x, f32x4.splat(1e-30));
  return v128.and(positive, expF4(f32x4.mul(logF4(f32x4.pmax(f32x4.splat(1e-30), x)), p)));
}
