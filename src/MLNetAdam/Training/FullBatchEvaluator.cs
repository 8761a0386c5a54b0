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
    private readonly MlpTask _task;
    private readonly double[] _scores = [];
    private readonly int[] _order = [];
    private readonly double[] _fit = new double[4];
    private readonly bool _computesAuc;

    public FullBatchEvaluator(TrainingProblem problem, TrainingData data, bool withGradient)
    {
        _data = data;
        _objective = new MlpObjective<float>(problem.Layout, problem.Activation, problem.L2Regularization, Math.Min(ChunkRows, data.RowCount), pool: problem.Pool, head: problem.Head)
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
        _task = problem.Head.Task;
        if (!withGradient && _task == MlpTask.BinaryClassification)
        {
            // The AUC ranks every row's logit, so it needs them all in one process: sharded ranks report none.
            bool shardedRanks = problem.Sharded && problem.Communicator is not null;
            if (shardedRanks && problem.EarlyStopping?.Metric == EarlyStoppingMetric.ValidationAuc)
                throw new ArgumentException("EarlyStopping on ValidationAuc needs every validation row in one process; with DataDistribution.Sharded watch ValidationLoss or ValidationAccuracy.");
            _computesAuc = !shardedRanks;
            _scores = new double[_computesAuc ? _rows.Length : 0];
            _order = new int[_scores.Length];
        }
    }

    /// <summary>For a binary evaluator without gradient: the weighted area under the ROC curve in the last evaluation (ties count half).</summary>
    public double? LastAuc { get; private set; }

    /// <summary>For a regression evaluator without gradient: the weighted R² of the last evaluation (on standardized targets, which leaves R² unchanged).</summary>
    public double? LastRSquared { get; private set; }

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
            if (!wantGradient && _computesAuc)
                _objective.LastOutputs.CopyTo(_scores.AsSpan(start));
            else if (!wantGradient && _task == MlpTask.Regression)
                AddFit(_objective.LastOutputs, rows);
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
        if (!wantGradient && _computesAuc)
            LastAuc = Auc();
        else if (!wantGradient && _task == MlpTask.Regression)
            LastRSquared = RSquared();
        return loss;
    }

    // Σw, Σw·y, Σw·y², Σw·(y − ŷ)² over the rows, for R².
    private void AddFit(ReadOnlySpan<double> outputs, ReadOnlySpan<int> rows)
    {
        for (int r = 0; r < rows.Length; r++)
        {
            int id = rows[r];
            double w = _data.Weights?[id] ?? 1.0, y = _data.Targets![id], residual = y - outputs[r];
            _fit[0] += w;
            _fit[1] += w * y;
            _fit[2] += w * y * y;
            _fit[3] += w * residual * residual;
        }
    }

    private double RSquared()
    {
        _communicator?.SumInPlace(_fit);
        double total = _fit[2] - _fit[1] * _fit[1] / _fit[0];
        double r2 = _fit[0] > 0 && total > 0 ? 1 - _fit[3] / total : 0;
        Array.Clear(_fit);
        return r2;
    }

    // Weighted Mann–Whitney statistic: over rows sorted by logit, each positive row counts the negative weight below
    // it, plus half the negative weight tied with it. No allocation: the order array is reused.
    private double Auc()
    {
        for (int i = 0; i < _order.Length; i++)
            _order[i] = _rows[i];
        Array.Sort(_scores, _order);
        double negativeBelow = 0, positives = 0, sum = 0;
        for (int start = 0; start < _order.Length;)
        {
            int end = start;
            double tiedPositive = 0, tiedNegative = 0;
            while (end < _order.Length && _scores[end] == _scores[start])
            {
                int id = _order[end];
                double w = _data.Weights?[id] ?? 1.0;
                if (_data.Labels[id] != 0)
                    tiedPositive += w;
                else
                    tiedNegative += w;
                end++;
            }
            sum += tiedPositive * (negativeBelow + 0.5 * tiedNegative);
            positives += tiedPositive;
            negativeBelow += tiedNegative;
            start = end;
        }
        return positives > 0 && negativeBelow > 0 ? sum / (positives * negativeBelow) : 0.5;
    }
}
