using System.Diagnostics;
using Microsoft.ML;
using MLNetAdam.Tests.Training;
using Xunit;
using Xunit.Abstractions;

namespace MLNetAdam.Tests.Persistence;

/// <summary>
/// A seeded fuzz campaign over the three files MLNetAdam reads: checkpoints, ONNX models and saved zips. Every mutant
/// must load or fail with <see cref="InvalidDataException"/> — no other exception, no hang, and under 64 MB allocated
/// for an input under 1 MB. The test run mutates each file 300 times; the bench's `fuzz` mode sets
/// MLNETADAM_FUZZ_CASES=4000 (12,000 mutants).
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("MLNETADAM_FUZZ_CASES"), out int n) ? n : 300;

    private static (byte[] Checkpoint, byte[] Onnx, byte[] Zip) Originals()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(SyntheticData.Blobs(10, 1));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        string folder = Directory.CreateTempSubdirectory("mlnetadam-fuzz-").FullName;
        try
        {
            string checkpoint = Path.Combine(folder, "run.ckpt");
            var model = new AdamMlpTrainer(ml, new AdamMlpTrainer.Options
            {
                HiddenLayerSizes = [5],
                NumberOfEpochs = 2,
                CheckpointPath = checkpoint,
                Optimizer = new AdamOptimizer { AmsGrad = true },
                LearningRateSchedule = new ReduceOnPlateauSchedule(),
                EarlyStopping = new EarlyStopping { Metric = EarlyStoppingMetric.TrainingLoss, RestoreBestWeights = true },
            }).Fit(data);
            using var onnx = new MemoryStream();
            model.ExportToOnnx(onnx);
            using var zip = new MemoryStream();
            ml.Model.Save(model, data.Schema, zip);
            return (File.ReadAllBytes(checkpoint), onnx.ToArray(), zip.ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>One seeded mutation: truncation, bit flips, overwritten bytes, inserted or deleted bytes, or a huge number.</summary>
    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        int kind = random.Next(6);
        switch (kind)
        {
            case 0:
                int keep = random.Next(bytes.Count);
                bytes.RemoveRange(keep, bytes.Count - keep);
                break;
            case 1:
                for (int i = 1 + random.Next(8); i > 0; i--)
                {
                    int at = random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }
                break;
            case 2:
                for (int i = 1 + random.Next(16); i > 0; i--)
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                break;
            case 3:
                bytes.InsertRange(random.Next(bytes.Count), Enumerable.Range(0, 1 + random.Next(32)).Select(_ => (byte)random.Next(256)));
                break;
            case 4:
                int start = random.Next(bytes.Count);
                bytes.RemoveRange(start, Math.Min(bytes.Count - start, 1 + random.Next(64)));
                break;
            default:
                // A length, count or size field made huge: int.MaxValue, a negative number or 2^40 at a random offset.
                byte[] huge = random.Next(3) switch
                {
                    0 => BitConverter.GetBytes(int.MaxValue),
                    1 => BitConverter.GetBytes(-7),
                    _ => BitConverter.GetBytes(1L << 40),
                };
                int offset = random.Next(Math.Max(1, bytes.Count - huge.Length));
                for (int i = 0; i < huge.Length && offset + i < bytes.Count; i++)
                    bytes[offset + i] = huge[i];
                break;
        }
        return bytes.ToArray();
    }

    private void Campaign(string what, byte[] original, Action<Stream> load, int seed)
    {
        var random = new Random(seed);
        int loaded = 0, refused = 0;
        double slowest = 0;
        long mostAllocated = 0;
        for (int c = 0; c < Cases; c++)
        {
            byte[] mutant = Mutate(original, random);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            try
            {
                load(new MemoryStream(mutant, writable: false));
                loaded++;
            }
            catch (InvalidDataException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{what} mutant {c} (seed {seed}) crashed the reader with {e.GetType().Name}: {e.Message}");
            }
            slowest = Math.Max(slowest, clock.Elapsed.TotalSeconds);
            mostAllocated = Math.Max(mostAllocated, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.True(clock.Elapsed.TotalSeconds < 10, $"{what} mutant {c} took {clock.Elapsed.TotalSeconds:F1} s (a hang?)");
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20, $"{what} mutant {c} allocated {(GC.GetAllocatedBytesForCurrentThread() - before) >> 20} MB");
        }
        output.WriteLine($"{what}: {Cases} mutants of {original.Length:N0} bytes: {loaded} loaded, {refused} refused, 0 crashes; slowest {slowest * 1000:F0} ms, most allocated {mostAllocated >> 10:N0} KB");
    }

    [Fact]
    public void EveryMutantLoadsOrIsRefusedAsInvalidData()
    {
        var (checkpoint, onnx, zip) = Originals();
        Assert.True(checkpoint.Length < 1 << 20 && onnx.Length < 1 << 20 && zip.Length < 1 << 20);
        Campaign("checkpoint", checkpoint, s => TrainingCheckpoint.Load(s), seed: 1);
        Campaign("ONNX", onnx, s => AdamMlpModelParameters.LoadFromOnnx(s), seed: 2);
        Campaign("saved zip", zip, s => AdamMlpModelParameters.LoadFromSavedModel(s), seed: 3);
    }
}
