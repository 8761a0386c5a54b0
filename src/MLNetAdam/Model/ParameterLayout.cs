namespace MLNetAdam.Model;

/// <summary>
/// Where each layer's weights and biases live in the single flat parameter vector. Layer <c>l</c> maps
/// <c>Sizes[l]</c> inputs to <c>Sizes[l + 1]</c> outputs; its weight matrix is stored [out][in] row-major
/// (as PyTorch's <c>nn.Linear</c>), immediately followed by its bias vector.
/// </summary>
internal sealed class ParameterLayout
{
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;

    public ParameterLayout(IReadOnlyList<int> sizes)
    {
        if (sizes.Count < 2)
            throw new ArgumentException("A network needs at least an input and an output size.", nameof(sizes));
        Sizes = sizes.ToArray();
        LayerCount = Sizes.Length - 1;
        _weightOffsets = new int[LayerCount];
        _biasOffsets = new int[LayerCount];
        // Offsets are summed in long and checked once, so an impossible size is reported, never overflowed.
        var weightOffsets = new long[LayerCount];
        var biasOffsets = new long[LayerCount];
        long offset = 0;
        for (int l = 0; l < LayerCount; l++)
        {
            if (Sizes[l] <= 0 || Sizes[l + 1] <= 0)
                throw new ArgumentException($"Layer sizes must be positive; got {string.Join(", ", Sizes)}.", nameof(sizes));
            weightOffsets[l] = offset;
            offset += (long)Sizes[l] * Sizes[l + 1];
            biasOffsets[l] = offset;
            offset += Sizes[l + 1];
        }
        if (offset > Array.MaxLength)
            throw new ArgumentException(
                $"Layer sizes [{string.Join(", ", Sizes)}] give {offset:N0} parameters, more than one array can hold ({Array.MaxLength:N0}); use smaller HiddenLayerSizes.",
                nameof(sizes));
        for (int l = 0; l < LayerCount; l++)
        {
            _weightOffsets[l] = (int)weightOffsets[l];
            _biasOffsets[l] = (int)biasOffsets[l];
        }
        ParameterCount = (int)offset;
    }

    /// <summary>Input size, hidden sizes, then the number of classes.</summary>
    public int[] Sizes { get; }

    /// <summary>Number of fully connected layers (hidden layers + 1).</summary>
    public int LayerCount { get; }

    /// <summary>Length of the flat parameter vector.</summary>
    public int ParameterCount { get; }

    /// <summary>Number of inputs of layer <paramref name="layer"/>.</summary>
    public int InputsOf(int layer) => Sizes[layer];

    /// <summary>Number of outputs of layer <paramref name="layer"/>.</summary>
    public int OutputsOf(int layer) => Sizes[layer + 1];

    /// <summary>Offset of layer <paramref name="layer"/>'s weight matrix.</summary>
    public int WeightOffset(int layer) => _weightOffsets[layer];

    /// <summary>Length of layer <paramref name="layer"/>'s weight matrix (outputs × inputs).</summary>
    public int WeightLength(int layer) => Sizes[layer] * Sizes[layer + 1];

    /// <summary>Offset of layer <paramref name="layer"/>'s bias vector.</summary>
    public int BiasOffset(int layer) => _biasOffsets[layer];

    /// <summary>The weight matrix of <paramref name="layer"/> within <paramref name="parameters"/>.</summary>
    public Span<T> Weights<T>(Span<T> parameters, int layer) => parameters.Slice(_weightOffsets[layer], WeightLength(layer));

    /// <summary>The weight matrix of <paramref name="layer"/> within <paramref name="parameters"/>.</summary>
    public ReadOnlySpan<T> Weights<T>(ReadOnlySpan<T> parameters, int layer) => parameters.Slice(_weightOffsets[layer], WeightLength(layer));

    /// <summary>The bias vector of <paramref name="layer"/> within <paramref name="parameters"/>.</summary>
    public Span<T> Biases<T>(Span<T> parameters, int layer) => parameters.Slice(_biasOffsets[layer], Sizes[layer + 1]);

    /// <summary>The bias vector of <paramref name="layer"/> within <paramref name="parameters"/>.</summary>
    public ReadOnlySpan<T> Biases<T>(ReadOnlySpan<T> parameters, int layer) => parameters.Slice(_biasOffsets[layer], Sizes[layer + 1]);
}
