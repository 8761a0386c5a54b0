using MLNetAdam.Numerics;

namespace MLNetAdam.Data;

/// <summary>Where an epoch's mini-batches come from: rows held in memory, or rows streamed from the data view.</summary>
internal interface IBatchSource : IDisposable
{
    /// <summary>Largest batch.</summary>
    int BatchSize { get; }

    /// <summary>Optimizer steps per epoch (for a streamed view, estimated from its row count).</summary>
    int StepsPerEpoch { get; }

    /// <summary>The shuffle permutation that carries over between epochs (checkpointed); empty when streaming.</summary>
    int[] Order { get; }

    /// <summary>Starts an epoch: reshuffles, or reopens the stream.</summary>
    void StartEpoch(SeededRandom random, bool shuffle);

    /// <summary>The next batch: <paramref name="rows"/> of <paramref name="data"/>. False at the end of the epoch.</summary>
    bool Next(out TrainingData data, out ReadOnlySpan<int> rows);
}

/// <summary>Batches of rows held in memory, in a seeded permutation reshuffled every epoch (Fisher–Yates).</summary>
internal sealed class InMemoryBatches : IBatchSource
{
    private readonly TrainingData _data;
    private int _next;

    public InMemoryBatches(TrainingData data, int batchSize)
    {
        _data = data;
        BatchSize = Math.Min(batchSize, data.RowCount);
        StepsPerEpoch = (data.RowCount + BatchSize - 1) / BatchSize;
        Order = new int[data.RowCount];
        for (int i = 0; i < Order.Length; i++)
            Order[i] = i;
    }

    public int BatchSize { get; }

    public int StepsPerEpoch { get; }

    public int[] Order { get; }

    public void StartEpoch(SeededRandom random, bool shuffle)
    {
        _next = 0;
        if (!shuffle)
            return;
        for (int i = Order.Length - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (Order[i], Order[j]) = (Order[j], Order[i]);
        }
    }

    public bool Next(out TrainingData data, out ReadOnlySpan<int> rows)
    {
        data = _data;
        if (_next >= Order.Length)
        {
            rows = default;
            return false;
        }
        rows = Order.AsSpan(_next, Math.Min(BatchSize, Order.Length - _next));
        _next += rows.Length;
        return true;
    }

    public void Dispose()
    {
    }
}
