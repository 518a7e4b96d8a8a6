using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Rules
{
    /// <summary>
    /// IG4003: a <c>bool</c> parameter or return value of a DllImport without <c>[MarshalAs]</c>. The default marshalling
    /// is the 4-byte Win32 BOOL, right for the Windows system libraries and wrong for a C <c>bool</c> (1 byte).
    /// LibraryImport is not analyzed: its generator refuses a bool without MarshalAs.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class BoolMarshallingAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property: "Return" for the return value (the only place the rule reports).</summary>
        internal const string TargetProperty = "Target";

        internal const string ReturnTarget = "Return";


        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.BoolWithoutMarshalAs);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.For(start.Compilation, start.Options);

                // A DllImport is declared here, and the runtime marshals it (DisableRuntimeMarshalling passes bool as one byte).
                if (!interop.Vocabulary.CompilationUses(InteropWords.NativeDeclaration) || DisabledRuntimeMarshalling.In(start.Compilation))
                {
                    return;
                }

                start.RegisterSymbolAction(AnalyzeMethod, SymbolKind.Method);
            });
        }

        private static void AnalyzeMethod(SymbolAnalysisContext context)
        {
            var method = (IMethodSymbol)context.Symbol;

            // Only the return value goes wrong: a 4-byte BOOL argument of 0 or 1 has the C bool in its low byte, which is
            // all a callee reads (in a register, in an 8-byte stack slot, and through a ref/out pointer to a zeroed
            // 4-byte temporary, little-endian); a C bool return sets only the low byte of the register, and the 4-byte
            // read takes whatever the upper bytes held. Parameters are not findings (see the rule's page).
            if (!method.IsExtern || method.ReturnType.SpecialType != SpecialType.System_Boolean)
            {
                return;
            }

            var dllImport = method.GetDllImportData();
            if (dllImport == null)
            {
                return;
            }

            var library = NativeFunction.NormalizeLibrary(dllImport.ModuleName ?? string.Empty);
            if (FourByteTruthLibraries.ReturnsFourByteTruth(library, dllImport.EntryPointName ?? method.Name))
            {
                return;
            }

            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(context.CancellationToken) is not MethodDeclarationSyntax declaration)
                {
                    continue;
                }

                var name = method.ContainingType?.Name + "." + method.Name;
                if (method.ReturnType.SpecialType == SpecialType.System_Boolean && !HasMarshalAs(method.GetReturnTypeAttributes()))
                {
                    Report(context, declaration.ReturnType, ReturnTarget, "The return value", name);
                }

            }
        }

        private static void Report(SymbolAnalysisContext context, TypeSyntax type, string target, string what, string function)
            => context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.BoolWithoutMarshalAs,
                type.GetLocation(),
                ImmutableDictionary<string, string?>.Empty.Add(TargetProperty, target),
                what,
                function));

        private static bool HasMarshalAs(IEnumerable<AttributeData> attributes)
            => attributes.Any(a => a.AttributeClass is { Name: "MarshalAsAttribute" } type
                                   && NamespaceNames.Is(type.ContainingNamespace, "System.Runtime.InteropServices"));
    }
}
