using MLNetAdam.Model;
using ScottPlot;

namespace Classification;

// PNG plots of a training history: the training and validation loss per epoch, and the validation accuracy.
public static class Plots
{
    // Writes <name>-loss.png and, when there is validation data, <name>-accuracy.png into `folder`; returns the paths.
    public static IReadOnlyList<string> Write(string folder, string name, IReadOnlyList<TrainingHistoryEntry> history)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        double[] epochs = history.Select(h => (double)h.Epoch).ToArray();

        var loss = new Plot();
        loss.Add.Scatter(epochs, history.Select(h => h.TrainingLoss).ToArray()).LegendText = "training loss";
        if (history.All(h => h.ValidationLoss is not null))
            loss.Add.Scatter(epochs, history.Select(h => h.ValidationLoss!.Value).ToArray()).LegendText = "validation loss";
        loss.Title($"{name}: loss per epoch");
        loss.XLabel("epoch");
        loss.YLabel("cross-entropy");
        loss.ShowLegend();
        written.Add(Save(loss, Path.Combine(folder, $"{name}-loss.png")));

        if (history.All(h => h.ValidationAccuracy is not null))
        {
            var accuracy = new Plot();
            accuracy.Add.Scatter(epochs, history.Select(h => h.ValidationAccuracy!.Value).ToArray()).LegendText = "validation accuracy";
            accuracy.Title($"{name}: validation accuracy per epoch");
            accuracy.XLabel("epoch");
            accuracy.YLabel("accuracy");
            accuracy.ShowLegend();
            written.Add(Save(accuracy, Path.Combine(folder, $"{name}-accuracy.png")));
        }
        return written;
    }

    // One plot of the validation (or, without it, training) loss of several runs, e.g. one per optimizer.
    public static string WriteComparison(string folder, IEnumerable<(string Name, IReadOnlyList<TrainingHistoryEntry> History)> runs)
    {
        Directory.CreateDirectory(folder);
        var plot = new Plot();
        foreach (var (name, history) in runs)
        {
            double[] epochs = history.Select(h => (double)h.Epoch).ToArray();
            double[] values = history.Select(h => h.ValidationLoss ?? h.TrainingLoss).ToArray();
            plot.Add.Scatter(epochs, values).LegendText = name;
        }
        plot.Title("loss per epoch (or L-BFGS iteration), by optimizer");
        plot.XLabel("epoch / iteration");
        plot.YLabel("cross-entropy");
        plot.ShowLegend();
        return Save(plot, Path.Combine(folder, "compare-loss.png"));
    }

    private static string Save(Plot plot, string path)
    {
        plot.SavePng(path, 800, 500);
        return Path.GetFullPath(path);
    }
}
