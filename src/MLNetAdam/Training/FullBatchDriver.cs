using System.Diagnostics;
using MLNetAdam.Optimizers;

namespace MLNetAdam.Training;

/// <summary>Runs one phase of a <see cref="BatchOptimizer"/>: hands it the full-batch objective and records one history entry per iteration.</summary>
internal static class FullBatchDriver
{
    public static void Run(TrainingRun run, int phase, BatchOptimizer optimizer)
    {
        var problem = run.Problem;
        var evaluator = new FullBatchEvaluator(problem, problem.Train ?? throw new InvalidOperationException("A batch optimizer needs the training rows in memory."), withGradient: true);
        string name = optimizer.GetType().Name;
        var clock = Stopwatch.StartNew();
        int evaluationsBefore = 0;
        int iteration = 0;
        var progress = new SynchronousProgress<double>(loss =>
        {
            iteration++;
            double? validationLoss = run.ValidationLoss();
            var entry = new Model.TrainingHistoryEntry(run.History.Count + 1, loss, validationLoss, clock.Elapsed)
            {
                Phase = phase,
                Optimizer = name,
                Evaluations = evaluator.Evaluations - evaluationsBefore,
            };
            evaluationsBefore = evaluator.Evaluations;
            run.History.Add(entry);
            run.Log($"Iteration {iteration} of {name} (epoch {entry.Epoch})", loss, validationLoss, clock.Elapsed, $", {entry.Evaluations} evaluations");
            clock.Restart();
        });
        LossAndGradient objective = (p, g) => evaluator.Evaluate(p, g);
        var result = optimizer.Minimize(run.Parameters, objective, progress, CancellationToken.None);
        run.Info($"{name} stopped: {result.Reason} after {result.Iterations} iterations and {result.Evaluations} evaluations; loss {result.Loss:G6}.");
        // The stop reason goes on the phase's last entry (an entry of its own when it stopped before any iteration).
        if (iteration > 0)
            run.History[^1] = run.History[^1] with { StopReason = result.Reason };
        else
            run.History.Add(new(run.History.Count + 1, result.Loss, run.ValidationLoss(), clock.Elapsed)
            {
                Phase = phase,
                Optimizer = name,
                Evaluations = evaluator.Evaluations,
                StopReason = result.Reason,
            });
        if (!double.IsFinite(result.Loss))
            throw TrainingRun.Diverged(run.History.Count, 0, result.Loss);
        if (run.Checkpoints is not null)
            run.WriteCheckpoint(phase, completed: true, 0, 0, null, string.Empty, [], []);
    }

    /// <summary>Calls the handler on the reporting thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
