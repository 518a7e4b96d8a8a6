using System.Linq;
using InteropGuard.Interop;
using Xunit;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// NamespaceNames replaces comparisons of a namespace's display string: it must say yes exactly where the display
    /// string would have been equal, including for a user's namespace that ends like a framework one.
    /// </summary>
    public class NamespaceNamesTests
    {
        private const string Source = @"
namespace System.Text { class InText { } }
namespace System { class InSystem { } }
namespace Acme.System.Text { class Shadow { } }
namespace SystemX.Text { class Longer { } }
namespace Text { class Bare { } }
class Global { }";

        [Theory]
        [InlineData("System.Text.InText", "System.Text", true)]
        [InlineData("System.Text.InText", "System", false)]
        [InlineData("System.Text.InText", "Text", false)]
        [InlineData("System.InSystem", "System", true)]
        [InlineData("System.InSystem", "System.Text", false)]
        [InlineData("Acme.System.Text.Shadow", "System.Text", false)]
        [InlineData("Acme.System.Text.Shadow", "Acme.System.Text", true)]
        [InlineData("SystemX.Text.Longer", "System.Text", false)]
        [InlineData("Text.Bare", "System.Text", false)]
        [InlineData("Text.Bare", "Text", true)]
        [InlineData("Global", "System", false)]
        public void IsAnswersAsTheDisplayStringWould(string type, string dotted, bool expected)
        {
            var symbol = new InteropTestCompilation(Source).Compilation.GetTypeByMetadataName(type)!;
            Assert.Equal(expected, NamespaceNames.Is(symbol.ContainingNamespace, dotted));
            Assert.Equal(symbol.ContainingNamespace.ToDisplayString() == dotted, NamespaceNames.Is(symbol.ContainingNamespace, dotted));
        }

        [Fact]
        public void AFrameworkTypeFromMetadataIsInItsNamespace()
        {
            var compilation = new InteropTestCompilation("class C { }").Compilation;
            var list = compilation.GetTypeByMetadataName("System.Collections.Generic.List`1")!;
            Assert.True(NamespaceNames.Is(list.ContainingNamespace, "System.Collections.Generic"));
            Assert.False(NamespaceNames.Is(list.ContainingNamespace, "System.Collections"));
            Assert.True(NamespaceNames.IsWithin(list.ContainingNamespace, "System.Collections"));
            Assert.False(NamespaceNames.IsWithin(list.ContainingNamespace, "Microsoft"));
        }
    }
}
