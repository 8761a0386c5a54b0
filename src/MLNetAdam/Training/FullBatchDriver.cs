using System.Diagnostics;
using MLNetAdam.Model;
using MLNetAdam.Optimizers;

namespace MLNetAdam.Training;

/// <summary>
/// Runs one phase of a <see cref="BatchOptimizer"/>: hands it the full-batch objective and records one history entry
/// per iteration. Early stopping is checked after every iteration and ends the phase through the optimizer's
/// cancellation token; the user's cancellation is checked before every loss evaluation.
/// </summary>
internal static class FullBatchDriver
{
    public static void Run(TrainingRun run, int phase, BatchOptimizer optimizer)
    {
        var problem = run.Problem;
        var evaluator = new FullBatchEvaluator(problem, problem.Train ?? throw new InvalidOperationException("A batch optimizer needs the training rows in memory."), withGradient: true);
        string name = optimizer.GetType().Name;
        int rowCount = problem.Train.RowCount;
        var monitor = run.NewMonitor();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(problem.Cancellation);
        bool earlyStopped = false;
        var clock = Stopwatch.StartNew();
        var phaseClock = Stopwatch.StartNew();
        int evaluationsBefore = 0;
        int iteration = 0;
        var progress = new SynchronousProgress<double>(loss =>
        {
            iteration++;
            var (validationLoss, validationAccuracy) = run.Validate();
            var entry = new TrainingHistoryEntry(run.History.Count + 1, loss, validationLoss, clock.Elapsed)
            {
                Phase = phase,
                Optimizer = name,
                Evaluations = evaluator.Evaluations - evaluationsBefore,
                ValidationAccuracy = validationAccuracy,
                ValidationAuc = run.ValidationAuc,
                ValidationRSquared = run.ValidationRSquared,
            };
            evaluationsBefore = evaluator.Evaluations;
            run.History.Add(entry);
            run.Log($"Iteration {iteration} of {name} (epoch {entry.Epoch})", loss, validationLoss, validationAccuracy, clock.Elapsed, $", {entry.Evaluations} evaluations");
            double seconds = Math.Max(phaseClock.Elapsed.TotalSeconds, 1e-9);
            run.Report(new TrainingProgress(phase, entry.Epoch, 1, 1, (double)rowCount * evaluator.Evaluations / seconds, loss, run.Elapsed, null, IsEpochEnd: true));
            if (monitor is not null && !earlyStopped && monitor.Observe(entry.Epoch, loss, validationLoss, validationAccuracy, run.Parameters, run.ValidationAuc, run.ValidationRSquared))
            {
                earlyStopped = true;
                stop.Cancel();
            }
            clock.Restart();
        });
        LossAndGradient objective = (p, g) =>
        {
            run.ThrowIfCancelled();
            return evaluator.Evaluate(p, g);
        };
        var result = optimizer.Minimize(run.Parameters, objective, progress, stop.Token);
        run.ThrowIfCancelled();
        var reason = earlyStopped ? StopReason.EarlyStopping : result.Reason;
        monitor?.Restore(run.Parameters);
        run.Info($"{name} stopped: {reason} after {result.Iterations} iterations and {result.Evaluations} evaluations; loss {result.Loss:G6}."
            + (earlyStopped && problem.EarlyStopping!.RestoreBestWeights ? $" Restored the weights of epoch {monitor!.BestEpoch}." : string.Empty));
        // The stop reason goes on the phase's last entry (an entry of its own when it stopped before any iteration).
        if (iteration > 0)
        {
            run.History[^1] = run.History[^1] with { StopReason = reason };
        }
        else
        {
            var (validationLoss, validationAccuracy) = run.Validate();
            run.History.Add(new(run.History.Count + 1, result.Loss, validationLoss, clock.Elapsed)
            {
                Phase = phase,
                Optimizer = name,
                Evaluations = evaluator.Evaluations,
                StopReason = reason,
                ValidationAccuracy = validationAccuracy,
                ValidationAuc = run.ValidationAuc,
                ValidationRSquared = run.ValidationRSquared,
            });
        }
        if (!double.IsFinite(result.Loss))
            throw TrainingRun.Diverged(run.History.Count, 0, result.Loss);
        run.CheckFinite(run.History.Count, result.Iterations);
        run.CheckRanksAgree(run.History.Count);
        if (run.Checkpoints is not null)
            run.WriteCheckpoint(phase, completed: true, 0, 0, null, string.Empty, [], [], null);
    }

    /// <summary>Calls the handler on the reporting thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
