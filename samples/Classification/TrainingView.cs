using MLNetAdam.Model;
using MLNetAdam.Training;
using Spectre.Console;

namespace Classification;

// A live progress bar fed by Options.Progress, and a table of the training history.
public static class TrainingView
{
    // Runs `fit` while a progress bar follows the epochs (an epoch bar; its description shows the running loss and pace).
    public static T WithProgressBar<T>(AdamMlpTrainer.Options options, string title, Func<T> fit)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Redirected output (a log, CI): a line every tenth epoch instead of a live bar.
            options.Progress = new InlineProgress(r =>
            {
                if (r.IsEpochEnd && (r.Epoch == 1 || r.Epoch % 10 == 0))
                    Console.WriteLine($"  {title}: epoch {r.Epoch}, loss {r.RunningLoss:F4}, {r.RowsPerSecond:N0} rows/s");
            });
            return fit();
        }
        T result = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(title, maxValue: options.NumberOfEpochs);
                options.Progress = new InlineProgress(r =>
                {
                    double done = r.Epoch - 1 + (r.BatchesPerEpoch is int b && b > 0 ? (double)r.Batch / b : 0);
                    task.Value = Math.Min(task.MaxValue, r.IsEpochEnd ? r.Epoch : done);
                    task.Description = $"{title}: epoch {r.Epoch}, loss {r.RunningLoss:F4}, {r.RowsPerSecond:N0} rows/s";
                });
                result = fit();
                task.Value = task.MaxValue;
            });
        return result;
    }

    // Prints the first epoch, every `every`-th and the last: losses, validation accuracy, time in milliseconds, and
    // why the run stopped.
    public static void PrintHistory(IReadOnlyList<TrainingHistoryEntry> history, int every = 10)
    {
        var table = new Table().AddColumns("epoch", "training loss", "validation loss", "validation accuracy", "ms", "note");
        foreach (var h in history.Where((h, i) => i == 0 || h.Epoch % every == 0 || i == history.Count - 1))
        {
            table.AddRow(
                h.Epoch.ToString(),
                h.TrainingLoss.ToString("F4"),
                h.ValidationLoss?.ToString("F4") ?? "-",
                h.ValidationAccuracy?.ToString("F4") ?? "-",
                h.Duration.TotalMilliseconds.ToString("F0"),
                h.StopReason?.ToString() ?? "");
        }
        AnsiConsole.Write(table);
    }

    // Calls the handler on the training thread, unlike Progress<T>, which posts to a synchronization context.
    private sealed class InlineProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
