using MLNetAdam.Data;
using MLNetAdam.Model;

namespace MLNetAdam.Training;

/// <summary>
/// Loss (and optionally gradient) over every row of a data set, evaluated in fixed chunks of rows and combined
/// with the chunks' example weights: the result equals the objective over the whole set. Allocation-free after construction.
/// </summary>
internal sealed class FullBatchEvaluator
{
    private const int ChunkRows = 1024;
    private readonly TrainingData _data;
    private readonly MlpObjective<float> _objective;
    private readonly int[] _rows;
    private readonly float[] _chunkGradient;
    private readonly Distributed.Communicator? _communicator;
    private readonly double[] _sum = new double[2];
    private readonly double _total;

    public FullBatchEvaluator(TrainingProblem problem, TrainingData data, bool withGradient)
    {
        _data = data;
        _objective = new MlpObjective<float>(problem.Layout, problem.Activation, problem.L2Regularization, Math.Min(ChunkRows, data.RowCount), pool: problem.Pool)
        {
            TrackAccuracy = !withGradient,
        };
        // With several ranks, each evaluates its rows and the sums over the ranks give every rank the objective over
        // all rows: with replicated data (training only) its contiguous share of them, with sharded data all of its
        // own shard (validation too), weighted against the total weight of every shard.
        _communicator = withGradient || problem.Sharded ? problem.Communicator : null;
        bool share = _communicator is not null && !problem.Sharded;
        int start = share ? (int)((long)data.RowCount * _communicator!.Rank / _communicator.Size) : 0;
        int end = share ? (int)((long)data.RowCount * (_communicator!.Rank + 1) / _communicator.Size) : data.RowCount;
        _total = data.TotalWeight;
        if (problem.Sharded && _communicator is not null)
        {
            Span<double> total = [_total];
            _communicator.SumInPlace(total);
            _total = total[0];
        }
        _rows = new int[end - start];
        for (int i = 0; i < _rows.Length; i++)
            _rows[i] = start + i;
        _chunkGradient = withGradient ? new float[problem.Layout.ParameterCount] : Array.Empty<float>();
    }

    /// <summary>Counts full-batch evaluations.</summary>
    public int Evaluations { get; private set; }

    /// <summary>For an evaluator without gradient: the weighted share of rows predicted right in the last evaluation.</summary>
    public double LastAccuracy { get; private set; }

    /// <summary>The objective over all rows; fills <paramref name="gradient"/> unless it is empty.</summary>
    public double Evaluate(ReadOnlySpan<float> parameters, Span<float> gradient)
    {
        Evaluations++;
        bool wantGradient = !gradient.IsEmpty;
        if (wantGradient)
            gradient.Clear();
        double total = _total;
        double loss = 0, correct = 0;
        int chunks = (_rows.Length + ChunkRows - 1) / ChunkRows;
        for (int start = 0; start < _rows.Length; start += ChunkRows)
        {
            var rows = _rows.AsSpan(start, Math.Min(ChunkRows, _rows.Length - start));
            double chunkLoss = _objective.Evaluate(parameters, wantGradient ? _chunkGradient : Span<float>.Empty, _data, rows);
            // Each chunk's mean (and its L2 term) counts in proportion to its weight; with zero total weight, equally.
            double share = total > 0 ? _objective.LastWeight / total : 1.0 / chunks;
            loss += share * chunkLoss;
            correct += _objective.LastCorrectWeight;
            if (wantGradient)
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(_chunkGradient, (float)share, gradient, gradient);
        }
        if (_communicator is not null)
        {
            if (wantGradient)
                _communicator.SumInPlace(gradient);
            _sum[0] = loss;
            _sum[1] = correct;
            _communicator.SumInPlace(_sum);
            (loss, correct) = (_sum[0], _sum[1]);
        }
        LastAccuracy = total > 0 ? correct / total : 0;
        return loss;
    }
}
