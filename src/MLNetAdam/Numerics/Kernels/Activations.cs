using System.Numerics;
using System.Numerics.Tensors;
using MLNetAdam.Model;

namespace MLNetAdam.Numerics.Kernels;

/// <summary>Element-wise activation functions and their derivatives, in place over a batch of pre-activations.</summary>
internal static class Activations
{
    /// <summary>Slope of <see cref="MlpActivation.LeakyRelu"/> for negative inputs.</summary>
    public const float LeakySlope = 0.01f;

    private static class C<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static readonly T Gelu = T.CreateTruncating(0.7978845608028654); // sqrt(2 / pi)
        public static readonly T GeluA = T.CreateTruncating(0.044715);
        public static readonly T Half = T.CreateTruncating(0.5);
        public static readonly T Three = T.CreateTruncating(3.0);
        public static readonly T Slope = T.CreateTruncating(0.01);
    }

    // g ← z > 0 ? g : slope·g, a vector at a time (a compare mask and a select; no branch), then the scalar tail.
    // Element-wise, so the vector body and the tail give the same result for the same element.
    private static void ReluFamilyBackward<T>(ReadOnlySpan<T> z, Span<T> gradient, T slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var slopes = new Vector<T>(slope);
            for (; i <= gradient.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var g = new Vector<T>(gradient.Slice(i));
                var positive = Vector.GreaterThan(new Vector<T>(z.Slice(i)), Vector<T>.Zero);
                Vector.ConditionalSelect(positive, g, slope == T.Zero ? Vector<T>.Zero : g * slopes).CopyTo(gradient.Slice(i));
            }
        }
        for (; i < gradient.Length; i++)
            gradient[i] = z[i] > T.Zero ? gradient[i] : slope == T.Zero ? T.Zero : slope * gradient[i];
    }

    /// <summary>Writes <c>f(z)</c> into <paramref name="output"/> (which may alias <paramref name="z"/>).</summary>
    public static void Forward<T>(MlpActivation activation, ReadOnlySpan<T> z, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (output.Length < z.Length)
            throw new ArgumentException($"The output ({output.Length}) is shorter than the input ({z.Length}).", nameof(output));
        if (z.IsEmpty)
            return;
        switch (activation)
        {
            case MlpActivation.Relu:
                TensorPrimitives.Max(z, T.Zero, output);
                break;
            case MlpActivation.LeakyRelu:
                for (int i = 0; i < z.Length; i++)
                    output[i] = z[i] > T.Zero ? z[i] : C<T>.Slope * z[i];
                break;
            case MlpActivation.Tanh:
                TensorPrimitives.Tanh(z, output);
                break;
            case MlpActivation.Sigmoid:
                TensorPrimitives.Sigmoid(z, output);
                break;
            case MlpActivation.Gelu:
                for (int i = 0; i < z.Length; i++)
                {
                    T x = z[i];
                    output[i] = C<T>.Half * x * (T.One + T.Tanh(C<T>.Gelu * (x + C<T>.GeluA * x * x * x)));
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }

    /// <summary>
    /// Multiplies the upstream gradient <paramref name="gradient"/> in place by <c>f'(z)</c>, given the
    /// pre-activation <paramref name="z"/> and the activation's output <paramref name="a"/>.
    /// </summary>
    public static void Backward<T>(MlpActivation activation, ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (z.Length < gradient.Length || a.Length < gradient.Length)
            throw new ArgumentException($"The pre-activations ({z.Length}) and activations ({a.Length}) must be at least as long as the gradient ({gradient.Length}).", nameof(gradient));
        switch (activation)
        {
            case MlpActivation.Relu:
            case MlpActivation.LeakyRelu:
                ReluFamilyBackward(z, gradient, activation == MlpActivation.Relu ? T.Zero : C<T>.Slope);
                break;
            case MlpActivation.Tanh:
                // f' = 1 - a^2
                for (int i = 0; i < gradient.Length; i++)
                    gradient[i] *= T.One - a[i] * a[i];
                break;
            case MlpActivation.Sigmoid:
                // f' = a (1 - a)
                for (int i = 0; i < gradient.Length; i++)
                    gradient[i] *= a[i] * (T.One - a[i]);
                break;
            case MlpActivation.Gelu:
                // f = 0.5 x (1 + t), t = tanh(u), u = c (x + a x^3)  =>  f' = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2)
                for (int i = 0; i < gradient.Length; i++)
                {
                    T x = z[i];
                    T t = T.Tanh(C<T>.Gelu * (x + C<T>.GeluA * x * x * x));
                    T d = C<T>.Half * (T.One + t) + C<T>.Half * x * (T.One - t * t) * C<T>.Gelu * (T.One + C<T>.Three * C<T>.GeluA * x * x);
                    gradient[i] *= d;
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }
}
