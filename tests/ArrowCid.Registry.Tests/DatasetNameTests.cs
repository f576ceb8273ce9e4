namespace ArrowCid.Registry.Tests;

/// <summary>The naming rules and the NAME@N reference syntax, without a registry.</summary>
public sealed class DatasetNameTests
{
    [Theory]
    [InlineData("sensors")]
    [InlineData("plant-3/temps")]
    [InlineData("Messwerte/Außentemperatur")]
    [InlineData("with space/and=equals")]
    [InlineData("...")]
    [InlineData("emoji 🌡")]
    public void Ordinary_paths_are_names(string name)
    {
        Assert.True(DatasetName.IsValid(name));
        Assert.Equal(name, DatasetName.Validate(name));
        Assert.Equal(new DatasetReference(name, null), DatasetReference.Parse(name));
    }

    [Fact]
    public void A_reference_names_a_version_after_the_at_sign()
    {
        Assert.Equal(new DatasetReference("plant-3/temps", 12), DatasetReference.Parse("plant-3/temps@12"));
        Assert.Equal("plant-3/temps@12", DatasetReference.Parse("plant-3/temps@12").ToString());
        Assert.Equal("sensors", DatasetReference.Parse("sensors").ToString());
    }

    [Theory]
    [InlineData("sensors@")]
    [InlineData("sensors@0")]
    [InlineData("sensors@01")]
    [InlineData("sensors@-1")]
    [InlineData("sensors@+1")]
    [InlineData("sensors@1.5")]
    [InlineData("sensors@latest")]
    [InlineData("sensors@1000000000000000000")]
    [InlineData("a@b@1")]
    [InlineData("@1")]
    public void Malformed_references_are_refused_naming_the_text(string text)
    {
        var error = Assert.Throws<InvalidDatasetNameException>(() => DatasetReference.Parse(text));
        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(text, error.Text);
    }

    [Fact]
    public void Path_elements_join_with_a_slash_and_empty_ones_are_refused()
    {
        Assert.Equal("plant-3/temps", DatasetName.Join(["plant-3", "temps"]));
        Assert.Throws<InvalidDatasetNameException>(() => DatasetName.Join(["plant-3", string.Empty]));
    }

    [Fact]
    public void A_name_is_kept_in_nfc_so_composed_and_decomposed_spellings_are_one_name()
    {
        string composed = "caf\u00e9";
        string decomposed = "cafe\u0301";

        Assert.Equal(composed, DatasetName.Validate(decomposed));
        Assert.Equal(composed, DatasetName.Validate(composed));
        Assert.Equal(new DatasetReference(composed, 2), DatasetReference.Parse(decomposed + "@2"));
    }

    [Theory]
    [InlineData("\u202Etxt.exe", "bidirectional control")]
    [InlineData("a\u2066b", "bidirectional control")]
    [InlineData("a\u200Fb", "bidirectional control")]
    [InlineData("a\u200Bb", "zero-width")]
    [InlineData("a\u200Db", "zero-width")]
    [InlineData("a\u2060b", "zero-width")]
    [InlineData("\uFEFFbom", "byte order mark")]
    public void Characters_that_reorder_or_hide_text_are_refused(string name, string what)
    {
        var error = Assert.Throws<InvalidDatasetNameException>(() => DatasetName.Validate(name));
        Assert.Contains(what, error.Message, StringComparison.Ordinal);
        Assert.False(DatasetName.IsValid(name));
        Assert.Throws<InvalidDatasetNameException>(() => DatasetReference.Parse(name + "@1"));
    }

    [Fact]
    public void Control_characters_are_escaped_in_the_message()
    {
        var error = Assert.Throws<InvalidDatasetNameException>(() => DatasetName.Validate("a\nb"));
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("\\u000a", error.Message, StringComparison.Ordinal);
    }
}
