using System.Numerics;
using System.Numerics.Tensors;
using MLNetAdam.Data;
using MLNetAdam.Model;
using MLNetAdam.Numerics;
using MLNetAdam.Numerics.Kernels;

namespace MLNetAdam.Training;

/// <summary>
/// The training objective of the MLP over a set of rows: the example-weighted mean softmax cross-entropy
/// plus <c>L2Regularization / 2 · Σ W²</c> over the weight matrices (biases are not penalized), and its
/// gradient. Works in <c>float</c> for training and in <c>double</c> for gradient checks; losses are summed in double.
/// The forward pass is the network's own (<see cref="ForwardPass{T}"/>, shared with scoring); this class adds the
/// loss, dropout between the layers, and the backward pass.
/// </summary>
/// <remarks>
/// All scratch memory is allocated once for the largest batch, so evaluating a batch allocates nothing.
/// An instance is not thread-safe: give each thread its own.
/// </remarks>
internal sealed class MlpObjective<T> : IHiddenLayerHook<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterLayout _layout;
    private readonly ForwardPass<T> _forward;
    private readonly T _l2;
    private readonly int _maxRows;
    private readonly T[] _input;      // gathered dense input rows (maxRows × features)
    private readonly T[] _delta;      // gradient flowing back into a hidden layer's output
    private readonly int[] _labels;
    private readonly float[] _targets;
    private readonly OutputHead _head;
    private readonly float[] _weights;
    private readonly float _dropout;
    private readonly WorkerPool? _pool;
    private readonly SeededRandom? _dropoutRandom;
    private readonly T[][] _dropped;  // hidden activations after dropout (the next layer's input), when dropout is on
    private readonly T[][] _masks;    // 0 or 1 / (1 - p) per hidden unit and row

    /// <summary>Creates the objective with scratch for batches of up to <paramref name="maxRows"/> rows.</summary>
    /// <param name="layout">The network's shape.</param>
    /// <param name="activation">Hidden-layer activation.</param>
    /// <param name="l2Regularization">λ of the <c>λ/2·ΣW²</c> term.</param>
    /// <param name="maxRows">Largest batch.</param>
    /// <param name="dropoutRate">Probability of zeroing each hidden unit in every evaluation (inverted dropout); 0 for none.</param>
    /// <param name="dropoutRandom">Source of the dropout masks (the trainer's stream, so checkpoints capture it); required when <paramref name="dropoutRate"/> &gt; 0.</param>
    /// <param name="pool">Threads for the matrix products; null for the calling thread only. Results do not depend on it.</param>
    /// <param name="head">What the last layer is trained for; null for the softmax classifier.</param>
    public MlpObjective(ParameterLayout layout, MlpActivation activation, double l2Regularization, int maxRows, float dropoutRate = 0, SeededRandom? dropoutRandom = null, WorkerPool? pool = null, OutputHead? head = null)
    {
        _head = head ?? OutputHead.Multiclass;
        _pool = pool;
        _layout = layout;
        _l2 = T.CreateTruncating(l2Regularization);
        _maxRows = maxRows;
        _input = new T[(long)maxRows * layout.Sizes[0] <= Array.MaxLength ? maxRows * layout.Sizes[0] : throw new ArgumentOutOfRangeException(nameof(maxRows))];
        _forward = new ForwardPass<T>(layout, activation, maxRows);
        int widest = 0;
        for (int l = 0; l < layout.LayerCount; l++)
            widest = Math.Max(widest, layout.OutputsOf(l));
        _delta = new T[maxRows * widest];
        _labels = new int[maxRows];
        _targets = new float[maxRows];
        _weights = new float[maxRows];
        if (!(dropoutRate >= 0 && dropoutRate < 1))
            throw new ArgumentOutOfRangeException(nameof(dropoutRate), dropoutRate, "The dropout rate must be in [0, 1).");
        _dropout = dropoutRate;
        _dropped = new T[layout.LayerCount - 1][];
        _masks = new T[layout.LayerCount - 1][];
        if (dropoutRate > 0)
        {
            _dropoutRandom = dropoutRandom ?? throw new ArgumentNullException(nameof(dropoutRandom), "Dropout needs a random stream.");
            for (int l = 0; l < layout.LayerCount - 1; l++)
            {
                _dropped[l] = new T[maxRows * layout.OutputsOf(l)];
                _masks[l] = new T[maxRows * layout.OutputsOf(l)];
            }
        }
    }

    /// <summary>Sum of the example weights of the rows of the last evaluation.</summary>
    public double LastWeight { get; private set; }

    private int _lastRows;

    /// <summary>Whether evaluations also count the rows whose most probable class is their label (<see cref="LastCorrectWeight"/>).</summary>
    public bool TrackAccuracy { get; init; }

    /// <summary>With <see cref="TrackAccuracy"/> and one output: each row's output (logit or value) in the last evaluation.</summary>
    public ReadOnlySpan<double> LastOutputs => _firstOutputs.AsSpan(0, Math.Min(_firstOutputs?.Length ?? 0, _lastRows));

    private double[]? _firstOutputs;

    /// <summary>With <see cref="TrackAccuracy"/>: the summed example weight of the last evaluation's rows predicted right (first maximum wins).</summary>
    public double LastCorrectWeight { get; private set; }

    /// <summary>
    /// Evaluates the objective over the rows <paramref name="rowIds"/> of <paramref name="data"/>.
    /// When <paramref name="gradient"/> is not empty it is overwritten with the gradient.
    /// </summary>
    /// <returns>Weighted mean cross-entropy plus the L2 term.</returns>
    public double Evaluate(ReadOnlySpan<T> parameters, Span<T> gradient, TrainingData data, ReadOnlySpan<int> rowIds)
    {
        int rows = rowIds.Length;
        if (rows == 0 || rows > _maxRows)
            throw new ArgumentOutOfRangeException(nameof(rowIds), $"A batch must have 1..{_maxRows} rows; got {rows}.");
        if (parameters.Length != _layout.ParameterCount)
            throw new ArgumentException($"Expected {_layout.ParameterCount} parameters; got {parameters.Length}.", nameof(parameters));
        bool wantGradient = !gradient.IsEmpty;
        if (wantGradient && gradient.Length != parameters.Length)
            throw new ArgumentException("The gradient must be as long as the parameters.", nameof(gradient));

        int features = _layout.Sizes[0];
        int last = _layout.LayerCount - 1;
        int classes = _layout.OutputsOf(last);
        bool sparse = data.IsSparse;
        var labels = _labels.AsSpan(0, rows);
        var weights = data.Weights is null ? Span<float>.Empty : _weights.AsSpan(0, rows);
        double totalWeight = 0;
        for (int r = 0; r < rows; r++)
        {
            int id = rowIds[r];
            labels[r] = data.Labels[id];
            if (data.Targets is not null)
                _targets[r] = data.Targets[id];
            if (!weights.IsEmpty)
            {
                weights[r] = data.Weights![id];
                totalWeight += weights[r];
            }
            if (!sparse)
            {
                ReadOnlySpan<float> src = data.DenseRow(id);
                Span<T> dst = _input.AsSpan(r * features, features);
                if (typeof(T) == typeof(float))
                    src.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(dst));
                else
                    for (int c = 0; c < features; c++)
                        dst[c] = T.CreateTruncating(src[c]);
            }
        }
        if (weights.IsEmpty)
            totalWeight = rows;
        LastWeight = totalWeight;
        _lastRows = rows;

        // Forward pass (the network's own): Z_l = A_{l-1} W_lᵀ + b_l, A_l = f(Z_l) for hidden layers, dropout between them.
        var hook = _dropoutRandom is null ? null : this;
        if (sparse)
            _forward.Run(parameters, data.SparseView(rowIds), _pool, hook);
        else
            _forward.Run(parameters, _input.AsSpan(0, rows * features), rows, _pool, hook);

        if (TrackAccuracy && _head.IsClassifier)
            LastCorrectWeight = CorrectWeight(_forward.PreActivations(last, rows), labels, weights, classes);
        if (TrackAccuracy && classes == 1)
        {
            _firstOutputs ??= new double[_maxRows];
            var outputs = _forward.PreActivations(last, rows);
            for (int r = 0; r < rows; r++)
                _firstOutputs[r] = double.CreateTruncating(outputs[r]);
        }

        // Loss, and dL/dZ of the output layer (overwrites the logits).
        T scale = totalWeight > 0 ? T.One / T.CreateTruncating(totalWeight) : T.Zero;
        Span<T> dz = _forward.PreActivations(last, rows);
        if (!_head.IsClassifier && data.Targets is null)
            throw new ArgumentException("A regression head needs the rows' targets.", nameof(data));
        double lossSum = _head.LossAndGradient(dz, labels, _targets.AsSpan(0, rows), weights, rows, classes, scale);
        double loss = totalWeight > 0 ? lossSum / totalWeight : 0;
        if (_l2 != T.Zero)
        {
            double squares = 0;
            for (int l = 0; l <= last; l++)
                foreach (T w in _layout.Weights(parameters, l))
                    squares += double.CreateTruncating(w) * double.CreateTruncating(w);
            loss += 0.5 * double.CreateTruncating(_l2) * squares;
        }
        if (!wantGradient)
            return loss;

        // Backward pass, output layer first: dW_l = dZ_lᵀ A_{l-1} + λ W_l, db_l = Σ_rows dZ_l,
        // dA_{l-1} = dZ_l W_l, dZ_{l-1} = dA_{l-1} ⊙ f'(Z_{l-1}).
        for (int l = last; l >= 0; l--)
        {
            int inputs = _layout.InputsOf(l), outputs = _layout.OutputsOf(l);
            Span<T> gW = _layout.Weights(gradient, l);
            Span<T> gB = _layout.Biases(gradient, l);
            ReadOnlySpan<T> w = _layout.Weights(parameters, l);
            if (_l2 != T.Zero)
                TensorPrimitives.Multiply(w, _l2, gW);
            else
                gW.Clear();
            if (l == 0 && sparse)
                Gemm.SparseAccumulateTransposedA<T>(dz, data.SparseView(rowIds), gW, outputs, inputs);
            else
                Gemm.AccumulateTransposedA<T>(dz, LayerInput(l, rows), gW, outputs, inputs, rows, _pool);
            gB.Clear();
            for (int r = 0; r < rows; r++)
                TensorPrimitives.Add(gB, dz.Slice(r * outputs, outputs), gB);
            if (l == 0)
                break;
            Span<T> delta = _delta.AsSpan(0, rows * inputs);
            Gemm.Multiply<T>(dz, w, delta, rows, inputs, outputs, _pool);
            if (_dropoutRandom is not null)
                TensorPrimitives.Multiply(delta, _masks[l - 1].AsSpan(0, rows * inputs), delta);
            _forward.Activation.Backward<T>(_forward.PreActivations(l - 1, rows), _forward.Activations(l - 1, rows), delta);
            // The hidden layer's pre-activation buffer is no longer needed: reuse it for dZ_{l-1}.
            Span<T> next = _forward.PreActivations(l - 1, rows);
            delta.CopyTo(next);
            dz = next;
        }
        return loss;
    }

    // Σ weight over the rows whose outputs predict their label (the head decides: arg max, or the logit's sign).
    private double CorrectWeight(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, ReadOnlySpan<float> weights, int classes)
    {
        double correct = 0;
        for (int r = 0; r < labels.Length; r++)
        {
            if (_head.Predicts(logits.Slice(r * classes, classes), labels[r]))
                correct += weights.IsEmpty ? 1.0 : weights[r];
        }
        return correct;
    }

    private ReadOnlySpan<T> LayerInput(int layer, int rows) =>
        layer == 0 ? _input.AsSpan(0, rows * _layout.Sizes[0])
        : _dropoutRandom is null ? _forward.Activations(layer - 1, rows) : _dropped[layer - 1].AsSpan(0, rows * _layout.OutputsOf(layer - 1));

    // Inverted dropout (Srivastava et al., 2014): keep each unit with probability 1 − p and scale it by 1 / (1 − p),
    // so the expected activation is unchanged and scoring needs no correction.
    ReadOnlySpan<T> IHiddenLayerHook<T>.AfterActivation(int layer, ReadOnlySpan<T> activations, int rows)
    {
        int count = activations.Length;
        T keepScale = T.One / (T.One - T.CreateTruncating(_dropout));
        Span<T> mask = _masks[layer].AsSpan(0, count);
        for (int i = 0; i < count; i++)
            mask[i] = _dropoutRandom!.NextSingle() >= _dropout ? keepScale : T.Zero;
        Span<T> dropped = _dropped[layer].AsSpan(0, count);
        TensorPrimitives.Multiply(activations, mask, dropped);
        return dropped;
    }
}
