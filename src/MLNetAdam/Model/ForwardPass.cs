using System.Numerics;
using System.Runtime.InteropServices;
using MLNetAdam.Numerics;
using MLNetAdam.Numerics.Kernels;

namespace MLNetAdam.Model;

/// <summary>
/// Lets the trainer act on a hidden layer's activations before the next layer reads them (dropout), without the
/// forward pass knowing about it.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IHiddenLayerHook<T>
{
    /// <summary>
    /// Called after hidden layer <paramref name="layer"/>'s activation with its <paramref name="rows"/> × outputs
    /// values; returns what the next layer reads (the same span, or a transformed copy).
    /// </summary>
    ReadOnlySpan<T> AfterActivation(int layer, ReadOnlySpan<T> activations, int rows);
}

/// <summary>
/// The one forward pass of the network, used by training (the objective, then its backward pass reads the saved
/// pre-activations and activations) and by scoring: layer by layer <c>Z_l = A_{l−1}·W_lᵀ + b_l</c>, then
/// <c>A_l = f(Z_l)</c> for hidden layers; the last layer's <c>Z</c> are the logits. The first layer reads dense rows or
/// compressed sparse rows (only the stored values are touched). All buffers are allocated once for the largest batch,
/// so a pass allocates nothing. Not thread-safe: give each thread its own.
/// </summary>
/// <typeparam name="T"><see cref="float"/> for training and scoring, <see cref="double"/> for gradient checks.</typeparam>
internal sealed class ForwardPass<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>From this many outputs on, a layer with cached transposed weights is scored through them.</summary>
    private const int RowKernelOutputs = 16;

    private readonly ParameterLayout _layout;
    private readonly Activation _activation;
    private readonly T[][] _pre;    // pre-activation of every layer (maxRows × outputs); the last is the logits
    private readonly T[][] _post;   // activation of every hidden layer (maxRows × outputs)
    private readonly Func<int, float[]>? _transposedWeights;

    /// <summary>Creates the pass with buffers for up to <paramref name="maxRows"/> rows.</summary>
    /// <param name="layout">The network's shape.</param>
    /// <param name="activation">The hidden-layer activation.</param>
    /// <param name="maxRows">Largest batch.</param>
    /// <param name="transposedWeights">
    /// For scoring: each layer's cached <c>Wᵀ</c> (inputs × outputs); a few rows times <c>Wᵀ</c> run through the
    /// register-blocked kernel, several times faster than one dot product per output. Float only; null for training.
    /// </param>
    public ForwardPass(ParameterLayout layout, MlpActivation activation, int maxRows, Func<int, float[]>? transposedWeights = null)
    {
        if (transposedWeights is not null && typeof(T) != typeof(float))
            throw new ArgumentException("Transposed weights are for float scoring.", nameof(transposedWeights));
        _layout = layout;
        _activation = Activation.For(activation);
        _transposedWeights = transposedWeights;
        MaxRows = maxRows;
        _pre = new T[layout.LayerCount][];
        _post = new T[layout.LayerCount][];
        for (int l = 0; l < layout.LayerCount; l++)
        {
            _pre[l] = new T[checked(maxRows * layout.OutputsOf(l))];
            _post[l] = l < layout.LayerCount - 1 ? new T[maxRows * layout.OutputsOf(l)] : [];
        }
    }

    /// <summary>Largest batch.</summary>
    public int MaxRows { get; }

    /// <summary>The activation table entry of the hidden layers.</summary>
    public Activation Activation => _activation;

    /// <summary>Pre-activations of layer <paramref name="layer"/> from the last pass (rows × outputs); writable, for the backward pass.</summary>
    public Span<T> PreActivations(int layer, int rows) => _pre[layer].AsSpan(0, rows * _layout.OutputsOf(layer));

    /// <summary>Activations of hidden layer <paramref name="layer"/> from the last pass (rows × outputs).</summary>
    public Span<T> Activations(int layer, int rows) => _post[layer].AsSpan(0, rows * _layout.OutputsOf(layer));

    /// <summary>Runs the network on <paramref name="rows"/> dense input rows (rows × inputs); returns the logits (rows × classes).</summary>
    public Span<T> Run(ReadOnlySpan<T> parameters, ReadOnlySpan<T> input, int rows, WorkerPool? pool = null, IHiddenLayerHook<T>? hook = null)
    {
        CheckRows(rows, parameters.Length);
        Dense(0, parameters, input, rows, pool);
        return RunFrom(1, parameters, rows, pool, hook);
    }

    /// <summary>Runs the network on compressed sparse input rows; returns the logits (rows × classes).</summary>
    public Span<T> Run(ReadOnlySpan<T> parameters, SparseRows input, WorkerPool? pool = null, IHiddenLayerHook<T>? hook = null)
    {
        int rows = input.Count;
        CheckRows(rows, parameters.Length);
        Gemm.SparseMultiplyTransposedB(input, _layout.Weights(parameters, 0), _layout.Biases(parameters, 0), PreActivations(0, rows), _layout.OutputsOf(0), _layout.InputsOf(0));
        return RunFrom(1, parameters, rows, pool, hook);
    }

    /// <summary>
    /// Runs the network on one sparse row given by its stored <paramref name="indices"/> and <paramref name="values"/>;
    /// the first layer touches only the stored values. With cached transposed weights (scoring) each stored value adds
    /// its row of <c>Wᵀ</c> (contiguous, fused multiply-add, in index order); otherwise the sparse product runs output by output.
    /// </summary>
    public Span<T> RunSparseRow(ReadOnlySpan<T> parameters, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, WorkerPool? pool = null)
    {
        CheckRows(1, parameters.Length);
        if (indices.Length != values.Length)
            throw new ArgumentException($"A sparse row has {indices.Length} indices and {values.Length} values.", nameof(values));
        int inputs = _layout.InputsOf(0), outputs = _layout.OutputsOf(0);
        var z = PreActivations(0, 1);
        if (_transposedWeights is not null)
        {
            var zf = MemoryMarshal.Cast<T, float>(z);
            MemoryMarshal.Cast<T, float>(_layout.Biases(parameters, 0)).CopyTo(zf);
            var transposed = _transposedWeights(0);
            for (int t = 0; t < indices.Length; t++)
            {
                int index = indices[t];
                if ((uint)index >= (uint)inputs)
                    throw new ArgumentOutOfRangeException(nameof(indices), index, $"A sparse feature index must be below {inputs}.");
                System.Numerics.Tensors.TensorPrimitives.FusedMultiplyAdd(transposed.AsSpan(index * outputs, outputs), values[t], zf, zf);
            }
        }
        else
        {
            Span<int> rowStart = [0, indices.Length];
            Span<int> rowIds = [0];
            Gemm.SparseMultiplyTransposedB(new SparseRows(rowStart, indices, values, rowIds), _layout.Weights(parameters, 0), _layout.Biases(parameters, 0), z, outputs, inputs);
        }
        return RunFrom(1, parameters, 1, pool, null);
    }

    // Layer 0's product is done: activate it, then every later layer.
    private Span<T> RunFrom(int next, ReadOnlySpan<T> parameters, int rows, WorkerPool? pool, IHiddenLayerHook<T>? hook)
    {
        int last = _layout.LayerCount - 1;
        for (int l = next - 1; l < last; l++)
        {
            var z = PreActivations(l, rows);
            var a = Activations(l, rows);
            _activation.Forward<T>(z, a);
            ReadOnlySpan<T> input = hook is null ? a : hook.AfterActivation(l, a, rows);
            Dense(l + 1, parameters, input, rows, pool);
        }
        return PreActivations(last, rows);
    }

    // Z_l = input·W_lᵀ + b_l for a dense input.
    private void Dense(int l, ReadOnlySpan<T> parameters, ReadOnlySpan<T> input, int rows, WorkerPool? pool)
    {
        int inputs = _layout.InputsOf(l), outputs = _layout.OutputsOf(l);
        var z = PreActivations(l, rows);
        if (_transposedWeights is not null && outputs >= RowKernelOutputs)
        {
            // Bias first, then z += input·Wᵀ through the cached transpose (typeof(T) == float, checked at construction).
            var zf = MemoryMarshal.Cast<T, float>(z);
            for (int r = 0; r < rows; r++)
                MemoryMarshal.Cast<T, float>(_layout.Biases(parameters, l)).CopyTo(zf.Slice(r * outputs, outputs));
            GemmKernel.Multiply(MemoryMarshal.Cast<T, float>(input.Slice(0, rows * inputs)), _transposedWeights(l), zf, rows, outputs, inputs, accumulate: true);
            return;
        }
        Gemm.MultiplyTransposedB(input.Slice(0, rows * inputs), _layout.Weights(parameters, l), _layout.Biases(parameters, l), z, rows, outputs, inputs, pool);
    }

    private void CheckRows(int rows, int parameterCount)
    {
        if (rows <= 0 || rows > MaxRows)
            throw new ArgumentOutOfRangeException(nameof(rows), $"A batch must have 1..{MaxRows} rows; got {rows}.");
        if (parameterCount != _layout.ParameterCount)
            throw new ArgumentException($"Expected {_layout.ParameterCount} parameters; got {parameterCount}.", "parameters");
    }
}
