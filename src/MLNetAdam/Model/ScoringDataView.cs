using Microsoft.ML;

namespace MLNetAdam.Model;

/// <summary>The lazily scored output of <see cref="AdamMlpTransformer.Transform"/>.</summary>
internal sealed class ScoringDataView : IDataView
{
    private readonly AdamMlpTransformer.ScoringSchema _schema;
    private readonly IDataView _input;

    public ScoringDataView(AdamMlpTransformer.ScoringSchema schema, IDataView input)
    {
        _schema = schema;
        _input = input;
    }

    public bool CanShuffle => _input.CanShuffle;

    public DataViewSchema Schema => _schema.Output;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var active = columnsNeeded.ToArray();
        var input = _input.GetRowCursor(_schema.Dependencies(active), rand);
        return new ScoringRow(_schema, input, active, input);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var active = columnsNeeded.ToArray();
        var inputs = _input.GetRowCursorSet(_schema.Dependencies(active), n, rand);
        var cursors = new DataViewRowCursor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
            cursors[i] = new ScoringRow(_schema, inputs[i], active, inputs[i]);
        return cursors;
    }
}
