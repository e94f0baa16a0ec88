package org.cmarl.engine.eval;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Python's {@code repr(float)} (what its {@code csv} module writes for a float): the shortest decimal that reads back
 * as the same double, in fixed notation when the decimal exponent is from -4 to 15 ({@code 89.0},
 * {@code 0.0001}), else scientific with a signed two-digit exponent ({@code 1e-05}, {@code 1e+16}). Java's
 * {@code Double.toString} differs in notation ({@code 1.0E-5}) and, before JDK 19, sometimes in digits.
 */
public final class PythonFloat {
    private PythonFloat() {
    }

    public static String repr(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return Double.doubleToRawLongBits(v) < 0 ? "-0.0" : "0.0";
        }
        BigDecimal shortest = shortest(v);
        String digits = shortest.unscaledValue().abs().toString();
        // v = 0.d1d2d3... x 10^(exponent + 1), i.e. d1.d2d3... x 10^exponent
        int exponent = digits.length() - 1 - shortest.scale();
        StringBuilder b = new StringBuilder(24);
        if (v < 0) {
            b.append('-');
        }
        if (exponent >= -4 && exponent <= 15) {
            if (exponent >= digits.length() - 1) {
                b.append(digits).append("0".repeat(exponent - digits.length() + 1)).append(".0");
            } else if (exponent >= 0) {
                b.append(digits, 0, exponent + 1).append('.').append(digits, exponent + 1, digits.length());
            } else {
                b.append("0.").append("0".repeat(-exponent - 1)).append(digits);
            }
        } else {
            b.append(digits.charAt(0));
            if (digits.length() > 1) {
                b.append('.').append(digits, 1, digits.length());
            }
            b.append('e').append(exponent < 0 ? '-' : '+');
            int e = Math.abs(exponent);
            if (e < 10) {
                b.append('0');
            }
            b.append(e);
        }
        return b.toString();
    }

    /** The fewest significant digits (1..17) whose nearest decimal reads back as {@code v}, trailing zeros dropped. */
    private static BigDecimal shortest(double v) {
        BigDecimal exact = new BigDecimal(v);
        for (int precision = 1; precision < 17; precision++) {
            BigDecimal rounded = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
            if (rounded.doubleValue() == v) {
                return rounded.stripTrailingZeros();
            }
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }
}
