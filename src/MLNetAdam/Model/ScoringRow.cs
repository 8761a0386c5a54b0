using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Model;

/// <summary>
/// A row (or cursor) that passes the input columns through and computes <c>Score</c> and <c>PredictedLabel</c>
/// from the feature column when asked, once per input position. Each instance owns its scratch memory, so any
/// number of cursors can score at once.
/// </summary>
internal sealed class ScoringRow : DataViewRowCursor
{
    private readonly AdamMlpTransformer.ScoringSchema _schema;
    private readonly DataViewRow _input;
    private readonly DataViewRowCursor? _cursor;
    private readonly bool[] _active;
    private readonly ValueGetter<VBuffer<float>>? _featureGetter;
    private readonly float[] _probabilities;
    private readonly ForwardPass<float> _pass;
    private VBuffer<float> _featureBuffer;
    private long _scoredPosition = -1;
    private uint _predicted;

    /// <summary>Wraps <paramref name="input"/>; an owned cursor is moved by <see cref="MoveNext"/> and disposed with this row.</summary>
    public ScoringRow(AdamMlpTransformer.ScoringSchema schema, DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns, DataViewRowCursor? ownedCursor)
    {
        _schema = schema;
        _input = input;
        _cursor = ownedCursor;
        _active = new bool[schema.Output.Count];
        foreach (var column in activeColumns)
            _active[column.Index] = true;
        var model = schema.Owner.Model;
        _probabilities = new float[model.ClassCount];
        _pass = model.CreateForwardPass();
        if (_active[schema.Score.Index] || _active[schema.PredictedLabel.Index])
            _featureGetter = input.GetGetter<VBuffer<float>>(schema.Input[schema.Features.Index]);
    }

    public override DataViewSchema Schema => _schema.Output;

    public override long Position => _input.Position;

    public override long Batch => _input.Batch;

    public override bool MoveNext() =>
        _cursor is not null ? _cursor.MoveNext() : throw new InvalidOperationException("This row is not a cursor.");

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        _schema.IsOwn(column) ? _active[column.Index] : _input.IsColumnActive(_schema.Input[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_schema.IsOwn(column))
            return _input.GetGetter<TValue>(_schema.Input[column.Index]);
        if (!_active[column.Index])
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
        if (column.Index == _schema.Score.Index)
        {
            if (typeof(TValue) != typeof(VBuffer<float>))
                throw new InvalidOperationException($"Column '{column.Name}' is a vector of Single; asked for {typeof(TValue)}.");
            ValueGetter<VBuffer<float>> score = GetScore;
            return (ValueGetter<TValue>)(Delegate)score;
        }
        if (typeof(TValue) != typeof(uint))
            throw new InvalidOperationException($"Column '{column.Name}' is a key of UInt32; asked for {typeof(TValue)}.");
        ValueGetter<uint> label = GetPredictedLabel;
        return (ValueGetter<TValue>)(Delegate)label;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _cursor?.Dispose();
        base.Dispose(disposing);
    }

    private void GetScore(ref VBuffer<float> value)
    {
        EnsureScored();
        var editor = VBufferEditor.Create(ref value, _probabilities.Length);
        _probabilities.CopyTo(editor.Values);
        value = editor.Commit();
    }

    private void GetPredictedLabel(ref uint value)
    {
        EnsureScored();
        value = _predicted;
    }

    private void EnsureScored()
    {
        long position = _input.Position;
        if (position >= 0 && position == _scoredPosition)
            return;
        _featureGetter!(ref _featureBuffer);
        var model = _schema.Owner.Model;
        if (_featureBuffer.Length != model.InputSize)
            throw new InvalidOperationException($"Feature column '{_schema.Features.Name}' holds {_featureBuffer.Length} values in row {position}; the model needs {model.InputSize}.");
        // A sparse row is scored over its stored values only; a dense one straight from the buffer (no copy).
        if (_featureBuffer.IsDense)
            model.Score(_featureBuffer.GetValues(), _probabilities, _pass);
        else
            model.ScoreSparse(_featureBuffer.GetIndices(), _featureBuffer.GetValues(), _probabilities, _pass);

        // Arg max as a 1-based key; 0 (missing) when the scores are not numbers (e.g. a NaN feature).
        int best = -1;
        float bestValue = float.NegativeInfinity;
        for (int c = 0; c < _probabilities.Length; c++)
        {
            if (_probabilities[c] > bestValue)
            {
                bestValue = _probabilities[c];
                best = c;
            }
        }
        _predicted = (uint)(best + 1);
        _scoredPosition = position;
    }
}
