using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

// Usage: ModelLoader <model.zip> <data.idv> <output.json> [--columns A,B,...] [--evaluate <label column>] [--engine text|numeric]
//
// Loads the model with mlContext.Model.Load, scores the rows of an ML.NET binary data file (mlContext.Data.SaveAsBinary)
// and writes a JSON object: "schema" (the output columns), "columns" (the values of the requested columns, row by row),
// "metrics" (mlContext.MulticlassClassification.Evaluate against the label column) and "engine" (Score and
// PredictedLabel from a PredictionEngine over the same rows read as TextRow or NumericRow). Exit code 0 on success,
// 1 with the exception on stderr otherwise.
try
{
    if (args.Length < 3)
        throw new ArgumentException("Usage: ModelLoader <model.zip> <data.idv> <output.json> [--columns A,B] [--evaluate Label] [--engine text|numeric]");
    string modelPath = args[0], dataPath = args[1], outputPath = args[2];
    string[] columns = Option(args, "--columns")?.Split(',') ?? ["Score", "PredictedLabel"];
    string? evaluateLabel = Option(args, "--evaluate");
    string? engine = Option(args, "--engine");

    var ml = new MLContext(seed: 0);
    var model = ml.Model.Load(modelPath, out _);
    var data = ml.Data.LoadFromBinary(dataPath);
    var scored = model.Transform(data);

    using var output = File.Create(outputPath);
    using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
    json.WriteStartObject();

    json.WriteStartArray("schema");
    foreach (var column in scored.Schema)
    {
        json.WriteStartObject();
        json.WriteString("name", column.Name);
        json.WriteString("type", column.Type.ToString());
        json.WriteBoolean("hidden", column.IsHidden);
        json.WriteStartArray("annotations");
        foreach (var annotation in column.Annotations.Schema)
            json.WriteStringValue(annotation.Name);
        json.WriteEndArray();
        json.WriteEndObject();
    }
    json.WriteEndArray();

    json.WriteStartObject("columns");
    foreach (string name in columns)
        WriteColumn(json, scored, name);
    json.WriteEndObject();

    if (evaluateLabel is not null)
    {
        var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: evaluateLabel);
        json.WriteStartObject("metrics");
        json.WriteNumber("MicroAccuracy", metrics.MicroAccuracy);
        json.WriteNumber("MacroAccuracy", metrics.MacroAccuracy);
        json.WriteNumber("LogLoss", metrics.LogLoss);
        json.WriteNumber("LogLossReduction", metrics.LogLossReduction);
        json.WriteStartArray("ConfusionMatrix");
        foreach (var row in metrics.ConfusionMatrix.Counts)
        {
            json.WriteStartArray();
            foreach (double count in row)
                json.WriteNumberValue(count);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    if (engine is not null)
    {
        json.WriteStartObject("engine");
        var predictions = engine switch
        {
            "text" => Predict<TextRow>(ml, model, data),
            "numeric" => Predict<NumericRow>(ml, model, data),
            _ => throw new ArgumentException($"--engine must be 'text' or 'numeric'; got '{engine}'."),
        };
        json.WriteStartArray("Score");
        foreach (var p in predictions)
            WriteFloats(json, p.Score);
        json.WriteEndArray();
        json.WriteStartArray("PredictedLabel");
        foreach (var p in predictions)
            json.WriteNumberValue(p.PredictedLabel);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    json.WriteEndObject();
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine(e);
    return 1;
}

static string? Option(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static List<KeyPrediction> Predict<TRow>(MLContext ml, ITransformer model, IDataView data)
    where TRow : class, new()
{
    var engine = ml.Model.CreatePredictionEngine<TRow, KeyPrediction>(model);
    return ml.Data.CreateEnumerable<TRow>(data, reuseRowObject: false).Select(row => engine.Predict(row)).ToList();
}

static void WriteColumn(Utf8JsonWriter json, IDataView data, string name)
{
    var column = data.Schema[name];
    json.WriteStartArray(name);
    switch (column.Type)
    {
        case VectorDataViewType { ItemType: NumberDataViewType n } when n.RawType == typeof(float):
            foreach (var value in data.GetColumn<float[]>(column))
                WriteFloats(json, value);
            break;
        case KeyDataViewType key when key.RawType == typeof(uint):
            foreach (uint value in data.GetColumn<uint>(column))
                json.WriteNumberValue(value);
            break;
        case TextDataViewType:
            foreach (string value in data.GetColumn<string>(column))
                json.WriteStringValue(value);
            break;
        case NumberDataViewType n when n.RawType == typeof(float):
            foreach (float value in data.GetColumn<float>(column))
                WriteFloat(json, value);
            break;
        default:
            throw new NotSupportedException($"Column '{name}' has type {column.Type}, which the loader does not write.");
    }
    json.WriteEndArray();
}

static void WriteFloats(Utf8JsonWriter json, float[] values)
{
    json.WriteStartArray();
    foreach (float value in values)
        WriteFloat(json, value);
    json.WriteEndArray();
}

// JSON has no NaN or infinity: those are written as strings ("NaN", "Infinity").
static void WriteFloat(Utf8JsonWriter json, float value)
{
    if (float.IsFinite(value))
        json.WriteNumberValue(value);
    else
        json.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
}

/// <summary>A row of the test's text-label blobs (MLNetAdam.Tests.Trainer.TextLabelRow).</summary>
public sealed class TextRow
{
    public string Label { get; set; } = "";

    [VectorType(4)]
    public float[] Features { get; set; } = [];

    public float Weight { get; set; } = 1f;
}

/// <summary>A row of the test's numeric-label blobs (MLNetAdam.Tests.Trainer.NumericLabelRow).</summary>
public sealed class NumericRow
{
    public float Label { get; set; }

    [VectorType(4)]
    public float[] Features { get; set; } = [];
}

/// <summary>What the PredictionEngine returns: the probabilities and the predicted label as a raw key (1-based).</summary>
public sealed class KeyPrediction
{
    public float[] Score { get; set; } = [];

    public uint PredictedLabel { get; set; }
}
