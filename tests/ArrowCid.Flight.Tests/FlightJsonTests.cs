using System.Text;
using ArrowCid.Flight.Service;
using Xunit;

namespace ArrowCid.Flight.Tests;

/// <summary>FlightJson's documents: each whole and of its own, though the writer and buffer behind them are reused.</summary>
public sealed class FlightJsonTests
{
    [Fact]
    public void Documents_written_one_after_another_are_each_whole_and_unshared()
    {
        byte[] first = FlightJson.Write(w => w.WriteString("cid", new string('a', 300)));
        byte[] second = FlightJson.Write(w => w.WriteNumber("rows", 1));

        Assert.Equal($"{{\"cid\":\"{new string('a', 300)}\"}}", Encoding.UTF8.GetString(first));
        Assert.Equal("{\"rows\":1}", Encoding.UTF8.GetString(second));
    }

    [Fact]
    public void A_document_written_inside_another_documents_body_leaves_both_whole()
    {
        byte[]? inner = null;
        byte[] outer = FlightJson.Write(w =>
        {
            w.WriteNumber("before", 1);
            inner = FlightJson.Write(i => i.WriteString("inner", "yes"));
            w.WriteNumber("after", 2);
        });

        Assert.Equal("{\"before\":1,\"after\":2}", Encoding.UTF8.GetString(outer));
        Assert.Equal("{\"inner\":\"yes\"}", Encoding.UTF8.GetString(inner!));
    }

    [Fact]
    public void A_body_that_throws_leaves_the_next_document_clean()
    {
        Assert.Throws<InvalidOperationException>(() => FlightJson.Write(w =>
        {
            w.WriteNumber("half", 1);
            throw new InvalidOperationException("the body failed");
        }));

        Assert.Equal("{\"next\":true}", Encoding.UTF8.GetString(FlightJson.Write(w => w.WriteBoolean("next", true))));
    }

    [Fact]
    public void A_document_larger_than_the_kept_buffer_is_written_whole()
    {
        string large = new('x', 100_000);
        byte[] document = FlightJson.Write(w => w.WriteString("large", large));
        Assert.Equal($"{{\"large\":\"{large}\"}}", Encoding.UTF8.GetString(document));
        Assert.Equal("{\"small\":1}", Encoding.UTF8.GetString(FlightJson.Write(w => w.WriteNumber("small", 1))));
    }
}
