using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Rules
{
    /// <summary>
    /// IG3007: a class keeps, in an IntPtr field, the raw handle an acquire-style P/Invoke hands out while a paired
    /// release P/Invoke exists: a SafeHandle subclass would own it.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class RawHandleFieldAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property: documentation id of the acquire P/Invoke.</summary>
        internal const string AcquireProperty = "Acquire";

        /// <summary>Diagnostic property: documentation id of the release P/Invoke.</summary>
        internal const string ReleaseProperty = "Release";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.RawHandleField);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.For(start.Compilation, start.Options);

                // The handle and its release function come from P/Invokes declared here.
                if (!interop.Vocabulary.CompilationUses(InteropWords.NativeDeclaration))
                {
                    return;
                }

                var pairsByScope = ConcurrentTables.Create<InteropScope, HandleFunctionPairs>();
                start.RegisterSymbolStartAction(symbolStart => AnalyzeType(interop, pairsByScope, symbolStart), SymbolKind.NamedType);
            });
        }

        private static void AnalyzeType(InteropContext interop, ConcurrentDictionary<InteropScope, HandleFunctionPairs> pairsByScope, SymbolStartAnalysisContext context)
        {
            var type = (INamedTypeSymbol)context.Symbol;

            // Cheapest gate first: a type with no IntPtr field an instance can own has nothing to report.
            if (type.TypeKind != TypeKind.Class || interop.Types.IsHandleWrapper(type)
                || !type.GetMembers().OfType<IFieldSymbol>().Any(IsCandidate))
            {
                return;
            }

            var found = new ConcurrentDictionary<IFieldSymbol, HandleFunctionPair>(SymbolEqualityComparer.Default);

            HandleFunctionPairs PairsFor(IOperation operation)
                => pairsByScope.GetOrAdd(interop.ForTree(operation.Syntax.SyntaxTree), scope => new HandleFunctionPairs(interop, scope));

            void Record(IFieldSymbol field, HandleFunctionPair? pair)
            {
                if (pair != null && SymbolEqualityComparer.Default.Equals(field.ContainingType, type) && IsCandidate(field))
                {
                    // Operation callbacks may run concurrently: a field filled by two acquire functions names the same one every run,
                    // even when both have the same name (two classes' 'device_open'): the properties name the declarations.
                    found.AddOrUpdate(field, pair, (_, existing) => Order(existing, pair) <= 0 ? existing : pair);
                }
            }

            context.RegisterOperationAction(
                operationContext =>
                {
                    var assignment = (ISimpleAssignmentOperation)operationContext.Operation;
                    if (assignment.Target is IFieldReferenceOperation target && IsCandidate(target.Field))
                    {
                        Record(target.Field, PairsFor(assignment).ProducedBy(assignment.Value));
                    }
                },
                OperationKind.SimpleAssignment);

            context.RegisterOperationAction(
                operationContext =>
                {
                    var initializer = (IFieldInitializerOperation)operationContext.Operation;
                    foreach (var field in initializer.InitializedFields)
                    {
                        if (IsCandidate(field))
                        {
                            Record(field, PairsFor(initializer).ProducedBy(initializer.Value));
                        }
                    }
                },
                OperationKind.FieldInitializer);

            context.RegisterOperationAction(
                operationContext =>
                {
                    var argument = (IArgumentOperation)operationContext.Operation;
                    if (argument.Parameter?.RefKind == RefKind.Out && argument.Value is IFieldReferenceOperation target && IsCandidate(target.Field)
                        && argument.Parent is IInvocationOperation call)
                    {
                        var pair = PairsFor(argument).Get(call.TargetMethod);
                        Record(target.Field, pair?.OutParameter == argument.Parameter.Ordinal ? pair : null);
                    }
                },
                OperationKind.Argument);

            context.RegisterSymbolEndAction(end =>
            {
                foreach (var entry in found)
                {
                    var field = entry.Key;
                    var pair = entry.Value;
                    var reference = field.DeclaringSyntaxReferences.FirstOrDefault();
                    if (reference == null)
                    {
                        continue;
                    }

                    var properties = ImmutableDictionary.CreateBuilder<string, string?>();
                    properties[AcquireProperty] = DocumentationCommentId.CreateDeclarationId(pair.Acquire);
                    properties[ReleaseProperty] = DocumentationCommentId.CreateDeclarationId(pair.Release);
                    end.ReportDiagnostic(Diagnostic.Create(
                        Descriptors.RawHandleField,
                        Location.Create(reference.SyntaxTree, reference.Span),
                        properties.ToImmutable(),
                        field.Name,
                        pair.Acquire.Name,
                        pair.Release.Name));
                }
            });
        }

        /// <summary>A total order on pairs: by acquire name, then by the acquire's and the release's declaration ids.</summary>
        private static int Order(HandleFunctionPair x, HandleFunctionPair y)
        {
            var order = string.CompareOrdinal(x.Acquire.Name, y.Acquire.Name);
            if (order == 0)
            {
                order = string.CompareOrdinal(DocumentationCommentId.CreateDeclarationId(x.Acquire), DocumentationCommentId.CreateDeclarationId(y.Acquire));
            }

            return order != 0 ? order : string.CompareOrdinal(DocumentationCommentId.CreateDeclarationId(x.Release), DocumentationCommentId.CreateDeclarationId(y.Release));
        }

        /// <summary>
        /// An IntPtr field an object owns. A static readonly one is assigned once, in a static initializer, and lives
        /// as long as the process: releasing it at exit buys nothing and a SafeHandle would not change that.
        /// </summary>
        private static bool IsCandidate(IFieldSymbol field)
            => !field.IsConst && !(field.IsStatic && field.IsReadOnly) && !field.IsImplicitlyDeclared && HandleFunctionPairs.IsRawHandle(field.Type);
    }
}
