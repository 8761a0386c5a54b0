using System.Numerics;
using System.Numerics.Tensors;

namespace MLNetAdam.Numerics.Kernels;

/// <summary>
/// Element-wise kernels behind the hidden-layer activations, over a batch of pre-activations. They know nothing of
/// which activation a network uses: the activation table (<c>MLNetAdam.Model.Activation</c>) picks them and holds the
/// constants. Every kernel is element-wise, so a vector body and the scalar tail give the same bits for the same element.
/// </summary>
internal static class ActivationKernels
{
    /// <summary><c>output = z &gt; 0 ? z : slope·z</c> (ReLU for slope 0). <paramref name="output"/> may alias <paramref name="z"/>.</summary>
    public static void ReluFamilyForward<T>(ReadOnlySpan<T> z, Span<T> output, T slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckOutput(z.Length, output.Length);
        if (slope == T.Zero)
        {
            if (!z.IsEmpty)
                TensorPrimitives.Max(z, T.Zero, output);
            return;
        }
        for (int i = 0; i < z.Length; i++)
            output[i] = z[i] > T.Zero ? z[i] : slope * z[i];
    }

    /// <summary>
    /// <c>gradient ← z &gt; 0 ? gradient : slope·gradient</c>, a vector at a time (a compare mask and a select; no branch),
    /// then the scalar tail.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void ReluFamilyBackward<T>(ReadOnlySpan<T> z, Span<T> gradient, T slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckInputs(z.Length, z.Length, gradient.Length);
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

    /// <summary><c>output = tanh(z)</c>.</summary>
    public static void TanhForward<T>(ReadOnlySpan<T> z, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckOutput(z.Length, output.Length);
        if (!z.IsEmpty)
            TensorPrimitives.Tanh(z, output);
    }

    /// <summary><c>gradient ← gradient · (1 − a²)</c>, given the activation <c>a = tanh(z)</c>.</summary>
    public static void TanhBackward<T>(ReadOnlySpan<T> a, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckInputs(a.Length, a.Length, gradient.Length);
        for (int i = 0; i < gradient.Length; i++)
            gradient[i] *= T.One - a[i] * a[i];
    }

    /// <summary><c>output = 1 / (1 + e^−z)</c>.</summary>
    public static void SigmoidForward<T>(ReadOnlySpan<T> z, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckOutput(z.Length, output.Length);
        if (!z.IsEmpty)
            TensorPrimitives.Sigmoid(z, output);
    }

    /// <summary><c>gradient ← gradient · a (1 − a)</c>, given the activation <c>a = sigmoid(z)</c>.</summary>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> a, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckInputs(a.Length, a.Length, gradient.Length);
        for (int i = 0; i < gradient.Length; i++)
            gradient[i] *= a[i] * (T.One - a[i]);
    }

    /// <summary>Throws when the output is shorter than the input.</summary>
    public static void CheckOutput(int inputLength, int outputLength)
    {
        if (outputLength < inputLength)
            throw new ArgumentException($"The output ({outputLength}) is shorter than the input ({inputLength}).", "output");
    }

    /// <summary>Throws when the saved pre-activations or activations are shorter than the gradient.</summary>
    public static void CheckInputs(int zLength, int aLength, int gradientLength)
    {
        if (zLength < gradientLength || aLength < gradientLength)
            throw new ArgumentException($"The pre-activations ({zLength}) and activations ({aLength}) must be at least as long as the gradient ({gradientLength}).", "gradient");
    }
}
