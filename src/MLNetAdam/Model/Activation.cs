using System.Numerics;
using MLNetAdam.Numerics.Kernels;
using MLNetAdam.Persistence.Onnx;

namespace MLNetAdam.Model;

/// <summary>
/// The activation table: everything about one hidden-layer activation in one place — its forward and backward
/// passes, the initialization it wants, its ONNX form and its constants. Adding an activation is one
/// <see cref="MlpActivation"/> value, one subclass here and one entry in <see cref="Table"/> (plus a test row).
/// </summary>
internal abstract class Activation
{
    private static readonly Activation[] Table = [new Relu(), new LeakyRelu(), new Tanh(), new Sigmoid(), new Gelu()];

    /// <summary>The entry of <paramref name="kind"/>.</summary>
    public static Activation For(MlpActivation kind) =>
        (uint)kind < (uint)Table.Length && Table[(int)kind].Kind == kind
            ? Table[(int)kind]
            : throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");

    /// <summary>The entry named <paramref name="name"/> (the enum name, as stored in files); null if there is none.</summary>
    public static Activation? ForName(string name) => Array.Find(Table, a => a.Kind.ToString() == name);

    /// <summary>Which activation this is.</summary>
    public abstract MlpActivation Kind { get; }

    /// <summary>
    /// The gain of the Glorot-uniform bound √(gain / (fan-in + fan-out)) for the layers before this activation:
    /// 6 in general, 2 for the logistic sigmoid (scikit-learn's <c>MLPClassifier</c> factors).
    /// </summary>
    public virtual double GlorotGain => 6.0;

    /// <summary>Whether He initialization (bound √(6 / fan-in)) suits this activation (the ReLU family and GELU).</summary>
    public abstract bool HeInitialized { get; }

    /// <summary>The bound of the uniform initialization of a hidden layer with these fans: He when asked for and suited, Glorot otherwise.</summary>
    public double InitializationBound(int fanIn, int fanOut, bool he) =>
        he && HeInitialized ? Math.Sqrt(6.0 / fanIn) : Math.Sqrt(GlorotGain / (fanIn + fanOut));

    /// <summary>Writes <c>f(z)</c> into <paramref name="output"/> (which may alias <paramref name="z"/>).</summary>
    public abstract void Forward<T>(ReadOnlySpan<T> z, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Multiplies <paramref name="gradient"/> in place by <c>f'(z)</c>, given <paramref name="z"/> and the output <paramref name="a"/>.</summary>
    public abstract void Backward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Adds the ONNX nodes (operator set 13) that compute the activation from <paramref name="input"/> into <paramref name="output"/>.</summary>
    public abstract void WriteOnnx(OnnxGraphBuilder graph, string input, string output);

    private sealed class Relu : Activation
    {
        public override MlpActivation Kind => MlpActivation.Relu;

        public override bool HeInitialized => true;

        public override void Forward<T>(ReadOnlySpan<T> z, Span<T> output) => ActivationKernels.ReluFamilyForward(z, output, T.Zero);

        public override void Backward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> gradient) => ActivationKernels.ReluFamilyBackward(z, gradient, T.Zero);

        public override void WriteOnnx(OnnxGraphBuilder graph, string input, string output) => graph.Node("Relu", [input], [output]);
    }

    /// <summary><c>x</c> for <c>x &gt; 0</c>, else <see cref="Slope"/>·<c>x</c>.</summary>
    internal sealed class LeakyRelu : Activation
    {
        /// <summary>The slope for negative inputs: PyTorch's default, 0.01.</summary>
        public const double Slope = 0.01;

        public override MlpActivation Kind => MlpActivation.LeakyRelu;

        public override bool HeInitialized => true;

        public override void Forward<T>(ReadOnlySpan<T> z, Span<T> output) => ActivationKernels.ReluFamilyForward(z, output, T.CreateTruncating(Slope));

        public override void Backward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> gradient) =>
            ActivationKernels.ReluFamilyBackward(z, gradient, T.CreateTruncating(Slope));

        public override void WriteOnnx(OnnxGraphBuilder graph, string input, string output) =>
            graph.Node("LeakyRelu", [input], [output], OnnxGraphBuilder.FloatAttribute("alpha", (float)Slope));
    }

    private sealed class Tanh : Activation
    {
        public override MlpActivation Kind => MlpActivation.Tanh;

        public override bool HeInitialized => false;

        public override void Forward<T>(ReadOnlySpan<T> z, Span<T> output) => ActivationKernels.TanhForward(z, output);

        public override void Backward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> gradient)
        {
            ActivationKernels.CheckInputs(z.Length, a.Length, gradient.Length);
            ActivationKernels.TanhBackward(a, gradient);
        }

        public override void WriteOnnx(OnnxGraphBuilder graph, string input, string output) => graph.Node("Tanh", [input], [output]);
    }

    private sealed class Sigmoid : Activation
    {
        public override MlpActivation Kind => MlpActivation.Sigmoid;

        public override double GlorotGain => 2.0;

        public override bool HeInitialized => false;

        public override void Forward<T>(ReadOnlySpan<T> z, Span<T> output) => ActivationKernels.SigmoidForward(z, output);

        public override void Backward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> gradient)
        {
            ActivationKernels.CheckInputs(z.Length, a.Length, gradient.Length);
            ActivationKernels.SigmoidBackward(a, gradient);
        }

        public override void WriteOnnx(OnnxGraphBuilder graph, string input, string output) => graph.Node("Sigmoid", [input], [output]);
    }

    /// <summary>
    /// GELU in its tanh form, <c>0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))</c>, as PyTorch's <c>GELU(approximate="tanh")</c>.
    /// The managed passes and the ONNX graph use the same constants, rounded to the element type the same way.
    /// </summary>
    private sealed class Gelu : Activation
    {
        private const double SqrtTwoOverPi = 0.7978845608028654;
        private const double Cubic = 0.044715;

        public override MlpActivation Kind => MlpActivation.Gelu;

        public override bool HeInitialized => true;

        public override void Forward<T>(ReadOnlySpan<T> z, Span<T> output)
        {
            ActivationKernels.CheckOutput(z.Length, output.Length);
            T c = T.CreateTruncating(SqrtTwoOverPi), a = T.CreateTruncating(Cubic), half = T.CreateTruncating(0.5);
            for (int i = 0; i < z.Length; i++)
            {
                T x = z[i];
                output[i] = half * x * (T.One + T.Tanh(c * (x + a * x * x * x)));
            }
        }

        // f = 0.5 x (1 + t), t = tanh(u), u = c (x + a x³)  ⇒  f' = 0.5 (1 + t) + 0.5 x (1 − t²) c (1 + 3 a x²)
        public override void Backward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> gradient)
        {
            ActivationKernels.CheckInputs(z.Length, a.Length, gradient.Length);
            T c = T.CreateTruncating(SqrtTwoOverPi), cubic = T.CreateTruncating(Cubic), half = T.CreateTruncating(0.5), three = T.CreateTruncating(3.0);
            for (int i = 0; i < gradient.Length; i++)
            {
                T x = z[i];
                T t = T.Tanh(c * (x + cubic * x * x * x));
                gradient[i] *= half * (T.One + t) + half * x * (T.One - t * t) * c * (T.One + three * cubic * x * x);
            }
        }

        // Opset 13 has no Gelu: the same formula in the managed kernel's order, ((0.5 x) (1 + tanh(c (x + ((a x) x) x)))).
        public override void WriteOnnx(OnnxGraphBuilder graph, string input, string output)
        {
            if (!graph.HasInitializer("gelu_half"))
            {
                graph.FloatInitializer("gelu_half", [], [0.5f]);
                graph.FloatInitializer("gelu_one", [], [1f]);
                graph.FloatInitializer("gelu_sqrt_2_over_pi", [], [(float)SqrtTwoOverPi]);
                graph.FloatInitializer("gelu_cubic", [], [(float)Cubic]);
            }
            string z = input, a = output;
            graph.Node("Mul", ["gelu_half", z], [$"{a}.half_x"]);
            graph.Node("Mul", ["gelu_cubic", z], [$"{a}.ax"]);
            graph.Node("Mul", [$"{a}.ax", z], [$"{a}.ax2"]);
            graph.Node("Mul", [$"{a}.ax2", z], [$"{a}.ax3"]);
            graph.Node("Add", [z, $"{a}.ax3"], [$"{a}.inner"]);
            graph.Node("Mul", ["gelu_sqrt_2_over_pi", $"{a}.inner"], [$"{a}.u"]);
            graph.Node("Tanh", [$"{a}.u"], [$"{a}.t"]);
            graph.Node("Add", ["gelu_one", $"{a}.t"], [$"{a}.one_plus_t"]);
            graph.Node("Mul", [$"{a}.half_x", $"{a}.one_plus_t"], [a]);
        }
    }
}
