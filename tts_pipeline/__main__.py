from tts_pipeline.cli import main

main()
