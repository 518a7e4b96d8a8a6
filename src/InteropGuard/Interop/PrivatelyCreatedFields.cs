using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// "Only this class creates the object in this field": a private field every write to which is a <c>new</c> object
    /// (or null/default). Nothing outside the class can replace or reach it through the field, so the object's lifetime
    /// is the class's own business — disposing it while a value taken from it is in use needs a concurrent call into the
    /// class itself. One answer per field, cached for the compilation.
    /// </summary>
    internal sealed class PrivatelyCreatedFields
    {
        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<IFieldSymbol, bool> _answers = ConcurrentTables.Create<IFieldSymbol, bool>(SymbolEqualityComparer.Default);

        public PrivatelyCreatedFields(Compilation compilation)
        {
            _compilation = compilation;
        }

        public bool IsCreatedOnlyHere(IFieldSymbol field, CancellationToken cancellationToken)
            => field.DeclaredAccessibility == Accessibility.Private && !field.IsStatic && field.ContainingType != null
               && _answers.GetOrAdd(field.OriginalDefinition, f => Read(f, cancellationToken));

        private bool Read(IFieldSymbol field, CancellationToken cancellationToken)
            => PrivateFieldStores.All(_compilation, field, cancellationToken, (value, _) => IsCreation(value));

        private static bool IsCreation(ExpressionSyntax? value)
            => value is BaseObjectCreationExpressionSyntax
               || value is LiteralExpressionSyntax
               || value is DefaultExpressionSyntax
               || (value is PostfixUnaryExpressionSyntax { Operand: var operand } && IsCreation(operand));
    }
}
